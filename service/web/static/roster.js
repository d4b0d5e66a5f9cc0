// The roster's page: after another page of the timeline is swapped in (the pager's links, through HTMX), the
// keyboard's focus, lost with the link it was on, goes to the new page's count ("Agents 51-100 of 300"), so Tab
// continues from the top of the new page instead of the top of the document.
"use strict";

document.addEventListener("htmx:afterSettle", function (event) {
  const config = event.detail && event.detail.requestConfig;
  const source = config && config.elt;
  if (!source || typeof source.matches !== "function" || !source.matches(".pager a")) {
    return;
  }
  const target = event.detail.target;
  const fresh = target && target.id ? document.getElementById(target.id) : null;
  const count = fresh ? fresh.querySelector(".count") : null;
  if (count) {
    count.focus();
  }
});
