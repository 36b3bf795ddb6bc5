// The county office's forms (issue 13): a region picker's search box narrows its list by name; and a form marked
// data-precheck is checked here before its "cannot be undone" question is asked (this
// listener runs in the capture phase, before confirm.js). The server checks everything
// again; without JavaScript the forms still work.
(() => {
  for (const search of document.querySelectorAll("[data-region-search]")) {
    const select = document.getElementById(search.getAttribute("data-region-search"));
    if (!select) continue;
    search.addEventListener("input", () => {
      const wanted = search.value.trim();
      let first = null;
      for (const option of select.querySelectorAll("option")) {
        if (!option.value) continue;
        const group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
        const hit = !wanted || option.text.includes(wanted) || group.includes(wanted) || option.value.startsWith(wanted);
        option.hidden = !hit;
        if (hit && !first) first = option;
      }
      for (const group of select.querySelectorAll("optgroup")) {
        group.hidden = ![...group.children].some((o) => !o.hidden);
      }
      const chosen = select.selectedOptions[0];
      if (first && wanted && (!chosen || chosen.hidden || !chosen.value)) {
        select.value = first.value;
      }
    });
  }

  // Amounts as the server reads them (relief.subsidies.models.amount_text): full-width
  // digits folded, commas only as thousands separators, at most two decimals, above 0.
  const amountOk = (text) => {
    let plain = text.normalize("NFKC").trim().replace(/元$/, "").replace(/\s/g, "");
    if (plain.includes(",")) {
      if (!/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(plain)) return false;
      plain = plain.replace(/,/g, "");
    }
    return /^\d+(\.\d{0,2})?$/.test(plain) && Number(plain) > 0;
  };
  const today = () => {
    // The date in Asia/Shanghai, as the server decides it.
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
    return parts;
  };
  const show = (form, input, message) => {
    const id = `${input.id}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.className = "error";
      note.id = id;
      note.setAttribute("role", "alert");
      input.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  };
  const clear = (input) => {
    const note = document.getElementById(`${input.id}-error`);
    if (note) note.remove();
    input.removeAttribute("aria-invalid");
  };

  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      if (!form.hasAttribute || !form.hasAttribute("data-precheck")) return;
      const problems = [];
      for (const input of form.querySelectorAll("[data-check-required]")) {
        clear(input);
        if (!input.value.trim()) problems.push([input, input.getAttribute("data-check-required")]);
      }
      const amount = form.querySelector("[data-check-amount]");
      if (amount) {
        clear(amount);
        if (!amountOk(amount.value)) problems.push([amount, amount.getAttribute("data-check-amount")]);
      }
      const date = form.querySelector("[data-check-not-future]");
      if (date) {
        clear(date);
        const reason = form.querySelector("[name=future_reason]");
        if (!date.value) {
          problems.push([date, date.getAttribute("data-msg-required")]);
        } else if (date.value > today() && !(reason && reason.value.trim())) {
          problems.push([date, date.getAttribute("data-check-not-future")]);
        }
      }
      if (problems.length) {
        event.preventDefault();
        event.stopImmediatePropagation();
        for (const [input, message] of problems) show(form, input, message);
        problems[0][0].focus();
      }
    },
    true,
  );
})();
