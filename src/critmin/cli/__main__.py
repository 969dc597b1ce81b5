from critmin.cli import main

main()
