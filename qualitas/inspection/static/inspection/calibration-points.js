// The calibration points table: one row per point of the gauge's range, filled the way a
// technician reads the sheet. Tab moves across, Enter moves to the next cell and, after the
// last row's tolerance, adds a point. Each row says as it is typed whether the gauge was
// within tolerance as found and as left: |reading - nominal| <= tolerance, the limit itself
// within, as calibrations.within judges it on saving. Without this script the page still
// works: a fixed number of rows, empty ones ignored.
(function () {
  "use strict";
  const form = document.getElementById("calibration-form");
  const table = document.getElementById("calibration-points");
  if (!form || !table) return;
  const body = table.tBodies[0];
  const prefix = "readings";
  const total = form.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const addButton = form.querySelector("[data-add-point]");
  const unitsSource = document.getElementById("calibration-gauge-units");
  const units = unitsSource ? JSON.parse(unitsSource.textContent) : {};
  const gauge = form.querySelector('select[name="gauge"]');

  const rows = () => Array.from(body.querySelectorAll("tr[data-point]"));
  const cells = (row) => Array.from(row.querySelectorAll("input[data-cell]"));

  // A cell's number; null when empty, NaN when it is no number.
  function number(input) {
    if (input.validity && input.validity.badInput) return NaN;
    const text = input.value.trim();
    if (text === "") return null;
    const value = Number(text.replace(",", "."));
    return Number.isFinite(value) ? value : NaN;
  }

  // |reading - nominal| <= tolerance on the numbers as written, as the server judges it:
  // in binary floating point 74.002 - 74 is 0.0020000000000095, off a limit it is on.
  function decimalsOf(value) {
    const text = String(value);
    const exponent = text.match(/e([+-]\d+)$/i);
    const mantissa = exponent ? text.slice(0, exponent.index) : text;
    const point = mantissa.indexOf(".");
    const places = point < 0 ? 0 : mantissa.length - point - 1;
    return Math.max(0, places - (exponent ? Number(exponent[1]) : 0));
  }

  function readingWithin(reading, nominal, tolerance) {
    const places = Math.min(15, Math.max(decimalsOf(reading), decimalsOf(nominal), decimalsOf(tolerance)));
    const scale = 10 ** places;
    const deviation = Math.abs(Math.round(reading * scale) - Math.round(nominal * scale));
    return deviation <= Math.round(tolerance * scale);
  }

  function judge(row) {
    const values = {};
    cells(row).forEach((input) => {
      const value = number(input);
      const bad = Number.isNaN(value) || (input.dataset.cell === "tolerance" && value !== null && value <= 0);
      input.classList.toggle("is-invalid", bad);
      values[input.dataset.cell] = bad ? null : value;
    });
    ["as_found", "as_left"].forEach((which) => {
      const output = row.querySelector(`output[data-result="${which}"]`);
      const reading = values[which];
      const known = reading !== null && values.nominal !== null && values.tolerance !== null;
      const within = known && readingWithin(reading, values.nominal, values.tolerance);
      output.textContent = known ? (within ? "OK" : "Out of tolerance") : "";
      output.classList.toggle("text-success", known && within);
      output.classList.toggle("text-danger", known && !within);
      output.classList.toggle("fw-semibold", known && !within);
    });
  }

  // Names, ids and labels follow the row's place, as the formset reads them on saving.
  function renumber() {
    rows().forEach((row, index) => {
      const point = index + 1;
      row.querySelector("[data-point-number]").textContent = String(point);
      cells(row).forEach((input) => {
        const cell = input.dataset.cell;
        input.name = `${prefix}-${index}-${cell}`;
        input.id = `id_${prefix}-${index}-${cell}`;
        const label = input.getAttribute("aria-label") || "";
        input.setAttribute("aria-label", label.replace(/^Point \d+/, `Point ${point}`));
      });
      const remove = row.querySelector("[data-remove-point]");
      if (remove) remove.setAttribute("aria-label", `Remove point ${point}`);
    });
    total.value = String(rows().length);
  }

  function addRow() {
    const last = rows()[rows().length - 1];
    const row = last.cloneNode(true);
    cells(row).forEach((input) => {
      input.value = "";
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    row.querySelectorAll("td").forEach((td) => td.classList.remove("table-danger"));
    row.querySelectorAll("output").forEach((output) => { output.textContent = ""; });
    body.appendChild(row);
    renumber();
    judge(row);
    return row;
  }

  function removeRow(row) {
    const all = rows();
    const index = all.indexOf(row);
    if (all.length === 1) {
      // The last row stays, emptied: there is always a row to type into.
      cells(row).forEach((input) => { input.value = ""; });
      judge(row);
      cells(row)[0].focus();
      return;
    }
    row.remove();
    renumber();
    const next = rows()[Math.min(index, rows().length - 1)];
    cells(next)[0].focus();
  }

  function showUnit() {
    const unit = gauge ? units[gauge.value] || "" : "";
    table.querySelectorAll("[data-unit]").forEach((span) => {
      span.textContent = unit ? ` (${unit})` : "";
    });
  }

  body.addEventListener("input", (event) => {
    const input = event.target;
    const row = input.closest("tr[data-point]");
    if (!row || !input.matches("input[data-cell]")) return;
    // The page's refusal of this cell is answered once it is retyped.
    input.closest("td").classList.remove("table-danger");
    input.removeAttribute("aria-invalid");
    judge(row);
  });

  body.addEventListener("keydown", (event) => {
    const input = event.target;
    if (event.key !== "Enter" || !input.matches("input[data-cell]")) return;
    // Enter in a cell never saves the form half filled.
    event.preventDefault();
    const order = rows().flatMap(cells);
    const next = order[order.indexOf(input) + 1] || cells(addRow())[0];
    next.focus();
    if (next.select) next.select();
  });

  body.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-point]");
    if (button) removeRow(button.closest("tr[data-point]"));
  });

  if (addButton) {
    addButton.addEventListener("click", () => cells(addRow())[0].focus());
    addButton.hidden = false;
  }
  form.querySelectorAll("[data-remove-point]").forEach((button) => { button.hidden = false; });
  if (gauge) gauge.addEventListener("change", showUnit);
  rows().forEach(judge);
})();
