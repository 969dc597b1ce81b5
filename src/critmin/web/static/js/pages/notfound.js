/* Not-found page: the server already wrote the message. */
"use strict";
