// 临时救助 registration form: when the household, programme, cause or months change, ask the server
// for the amount (POST /temporary/preview, nothing is written) and show its amount line, or
// the refusal it gives. Without JavaScript the 试算 button does the same by a full page.
(() => {
  const form = document.querySelector('[data-testid="temporary-form"]');
  const line = document.getElementById("tc-preview");
  if (!form || !line) return;
  let asked = 0;
  const ask = async () => {
    const mine = ++asked;
    const data = new URLSearchParams(new FormData(form));
    try {
      const reply = await fetch("/temporary/preview", {
        method: "POST",
        body: data,
        credentials: "same-origin",
      });
      const page = new DOMParser().parseFromString(await reply.text(), "text/html");
      if (mine !== asked) return; // a later change asked again
      const found = page.getElementById("tc-preview");
      let text = found ? found.textContent.trim() : "";
      if (!text) {
        const refusal = page.querySelector('[data-testid="temporary-form"] [role="alert"]');
        text = refusal ? refusal.textContent.trim() : "";
      }
      line.textContent = text;
    } catch (_) {
      // The 试算 button still works.
    }
  };
  for (const name of ["household_id", "programme_code", "cause", "months"]) {
    const input = form.elements.namedItem(name);
    if (input) input.addEventListener("change", ask);
  }
})();
