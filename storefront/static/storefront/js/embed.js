// The embeddable player: credit click-outs to the site that embeds it. The host's name
// comes from the referrer of this frame (its origin, under the default referrer policy).
(function () {
  let host = "";
  try {
    host = document.referrer ? new URL(document.referrer).host : "";
  } catch (error) {
    host = "";
  }
  if (!host || host === window.location.host) return;
  for (const link of document.querySelectorAll("a[data-embed-clickout]")) {
    const url = new URL(link.href);
    url.searchParams.set("host", host);
    link.href = url.toString();
  }
})();
