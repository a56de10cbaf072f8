// Search on a site opened from disk (copied into site_libs/ by tools/build_docs.py): a browser does not fetch()
// file:// URLs, so smalldocs' search index (search.json) cannot load; on file:// this answers that request from
// site_libs/search-index.js, the same index as a script, loaded on the first search.
(() => {
  if (location.protocol !== 'file:') return;
  const fetch0 = window.fetch.bind(window);
  const here = document.currentScript.src.replace(/[^/]*$/, '');
  let loading = null;
  const index = () => loading || (loading = new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = here + 'search-index.js';
    s.onload = () => ok(window.smalldocsSearchIndex || []);
    s.onerror = fail;
    document.head.appendChild(s);
  }));
  window.fetch = (url, ...rest) => (/(^|\/)search\.json$/.test(String(url))
    ? index().then((data) => new Response(JSON.stringify(data), {headers: {'Content-Type': 'application/json'}}))
    : fetch0(url, ...rest));
})();
