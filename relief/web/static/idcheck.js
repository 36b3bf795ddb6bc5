// Checks an ID number's form and GB 11643 check digit while it is typed, so that a clerk
// sees a slip at once. Only a hint: the server checks the number again (and the birth
// date) and its message is the one that counts. The messages come from the input's
// data-msg-* attributes, so they are in the page's language.
(() => {
  const input = document.getElementById("hh-id_number");
  const live = document.getElementById("hh-id_number-live");
  if (!input || !live) return;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const digits = "10X98765432";
  input.addEventListener("input", () => {
    const text = input.value.replace(/\s/g, "").toUpperCase();
    if (text.length < 18) { live.textContent = ""; return; }
    if (!/^\d{17}[\dX]$/.test(text)) { live.textContent = input.dataset.msgFormat; return; }
    let sum = 0;
    for (let i = 0; i < 17; i += 1) sum += Number(text[i]) * weights[i];
    live.textContent = digits[sum % 11] === text[17] ? "✓" : input.dataset.msgCheck;
  });
})();
