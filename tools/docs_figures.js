// Figures of the docs site (copied into site_libs/ by tools/build_docs.py): a figure shown smaller than its natural size
// gets a zoom cursor, and a click opens it full size over the page (scrolls when larger than the window); a click or
// Escape closes it.
(() => {
  const figures = () => document.querySelectorAll('main.content .cell-output-display img');
  // the size a figure is meant to be seen at: its width attribute (a retina PNG has twice as many pixels), else its own
  const want = (img) => +img.getAttribute('width') || img.naturalWidth;
  const mark = (img) => img.classList.toggle('sd-zoomable', want(img) > img.clientWidth + 2);
  const markAll = () => figures().forEach(mark);
  figures().forEach((img) => (img.complete ? mark(img) : img.addEventListener('load', () => mark(img))));
  window.addEventListener('resize', markAll);
  let box = null;
  const close = () => { if (box) { box.remove(); box = null; } };
  document.addEventListener('click', (e) => {
    if (box) { close(); return; }
    const img = e.target.closest && e.target.closest('img.sd-zoomable');
    if (!img) return;
    box = document.createElement('div');
    box.className = 'sd-zoom';
    box.title = 'click or Escape to close';
    const big = document.createElement('img');
    big.src = img.src;
    big.alt = img.alt || '';
    big.width = want(img);
    box.appendChild(big);
    document.body.appendChild(box);
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
})();
