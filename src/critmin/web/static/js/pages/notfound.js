/* Not-found page: the server wrote the message (and its own suggestions, for readers without
 * JavaScript); here the catalogue offers the closest mineral names to what was asked for. */
"use strict";

(function () {
  const CM = window.CM;
  CM.pages = CM.pages || {};
  CM.pages.notfound = async function (main) {
    const holder = document.getElementById("suggestions");
    if (!holder) return;
    const server = document.querySelector("[data-testid=did-you-mean-server]");
    const path = decodeURIComponent(window.location.pathname).replace(/\/+$/, "");
    const asked = path.split("/").pop();
    if (!asked) return;
    const minerals = await CM.loadMinerals().catch(() => []);
    const n = CM.didYouMean(holder, asked, minerals, { lead: "Did you mean " });
    if (n && server) server.remove(); // the same offer, from the full catalogue
  };
})();
