// The 打印 button of the printable 调拨单: the page's Content-Security-Policy allows no inline
// script, hence this file. Without JavaScript the browser's own print command still works.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
