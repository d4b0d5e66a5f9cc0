// wfm pages: the little JavaScript the pages need beyond HTMX. No inline scripts (the pages' content security
// policy allows scripts from /static only).
"use strict";
