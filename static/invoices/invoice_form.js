/* Invoice form, progressive enhancement: everything works without this script.
 * - live totals of the typed lines (same rules as the server, which stays authoritative:
 *   each line rounded half-up to the cent, VAT per rate on the base), exact with BigInt;
 * - "Ajouter une ligne" adds a row without a round trip;
 * - recipient search as you type, and the recipient's services in the code service list. */
(function () {
  "use strict";
  var form = document.getElementById("invoice-form");
  if (!form) return;

  // --- Exact decimal arithmetic --------------------------------------------------------
  function scaled(text, scale) {
    var s = String(text || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    if (!/^\d+(\.\d+)?$/.test(s)) return null;
    var parts = s.split(".");
    var frac = parts[1] || "";
    if (frac.length > scale) return null;
    return BigInt(parts[0] + frac.padEnd(scale, "0"));
  }
  function roundDiv(n, d) { return (n + d / 2n) / d; } // half-up, n >= 0
  function euros(cents) {
    var neg = cents < 0n; if (neg) cents = -cents;
    var units = (cents / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    var rest = (cents % 100n).toString().padStart(2, "0");
    return (neg ? "-" : "") + units + "," + rest + "\u00a0€";
  }
  function rateLabel(rate100) {
    var s = (Number(rate100) / 100).toString().replace(".", ",");
    return s + "\u00a0%";
  }

  // --- Live totals ---------------------------------------------------------------------
  var body = document.getElementById("lines-body");
  function field(row, name) { return row.querySelector("[name$='-" + name + "']"); }
  function recompute() {
    if (!body) return;
    var bases = new Map();
    body.querySelectorAll("tr[data-line]").forEach(function (row) {
      var cell = row.querySelector("[data-line-total]");
      var del = field(row, "DELETE");
      var q = scaled(field(row, "quantity").value, 4);
      var p = scaled(field(row, "unit_price_ht").value, 4);
      var r = scaled(field(row, "vat_rate").value, 2);
      if (q === null || p === null || r === null || (del && del.checked)) { cell.textContent = ""; return; }
      var cents = roundDiv(q * p, 1000000n);
      cell.textContent = euros(cents);
      bases.set(r, (bases.get(r) || 0n) + cents);
    });
    var ht = 0n, tva = 0n, rows = [];
    Array.from(bases.keys()).sort(function (a, b) { return a < b ? 1 : -1; }).forEach(function (r) {
      var base = bases.get(r), vat = roundDiv(base * r, 10000n);
      ht += base; tva += vat;
      rows.push("<tr><th scope=\"row\">TVA " + rateLabel(r) + " sur " + euros(base) + "</th><td class=\"chorus-amount\">" + euros(vat) + "</td></tr>");
    });
    document.getElementById("totals-by-rate").innerHTML = rows.join("");
    document.getElementById("total-ht").textContent = euros(ht);
    document.getElementById("total-tva").textContent = euros(tva);
    document.getElementById("total-ttc").innerHTML = "<strong>" + euros(ht + tva) + "</strong>";
  }
  if (body) {
    body.addEventListener("input", recompute);
    body.addEventListener("change", recompute);
    recompute();
    var add = document.getElementById("add-line");
    var template = document.getElementById("line-template");
    var total = form.querySelector("[name='lines-TOTAL_FORMS']");
    if (add && template && total) {
      add.addEventListener("click", function (event) {
        event.preventDefault();
        var index = parseInt(total.value, 10);
        var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__n__/g, String(index + 1));
        body.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var rows = body.querySelectorAll("tr[data-line]");
        var first = rows[rows.length - 1].querySelector("input");
        if (first) first.focus();
      });
    }
  }

  // --- Recipient search and services ---------------------------------------------------
  var query = document.getElementById("id_recipient_query");
  var choices = document.getElementById("recipient-choices");
  var service = document.getElementById("id_recipient_service");
  var searchButton = document.getElementById("recipient-search-button");
  var searchUrl = form.dataset.recipientSearchUrl;
  var servicesUrl = form.dataset.servicesUrl;
  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c]; });
  }
  // "Code service" and "N° d'engagement" follow the chosen recipient and service, as the server
  // does (invoices.forms.invoice.recipient_requirements): "(facultatif)" only when not required.
  var rules = null; // {recipient: {...flags}, ej: {serviceId: bool}}
  function setLabel(id, required, hint, base) {
    var label = form.querySelector("label[for='" + id + "']");
    if (!label) return;
    if (!label.dataset.label) label.dataset.label = label.firstChild.textContent.replace(/\s*\(facultatif\)\s*$/, "").trim();
    label.textContent = label.dataset.label + (required ? "" : " (facultatif)");
    var text = [hint, base].filter(Boolean).join(" ");
    if (text) {
      var span = document.createElement("span");
      span.className = "fr-hint-text";
      span.id = id + "_helptext";
      span.textContent = text;
      label.appendChild(span);
    }
  }
  function applyRules() {
    if (!rules) return;
    var d = form.dataset, r = rules.recipient;
    var either = r.service_or_ej_required && !(r.service_required || r.ej_required);
    var serviceEj = service && service.value && rules.ej[service.value];
    setLabel("id_recipient_service", r.service_required || either, r.service_required ? d.hintRequired : either ? d.hintEither : "", "");
    var ej = r.ej_required ? [true, d.hintRequired] : serviceEj ? [true, d.hintRequiredByService] : [either, either ? d.hintEither : ""];
    setLabel("id_engagement_number", ej[0], ej[1], d.hintEjBase);
  }
  function loadServices(recipientId, keepOptions) {
    if (!service) return;
    fetch(servicesUrl.replace("/0/", "/" + recipientId + "/"), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        var options = ["<option value=\"\">— Aucun —</option>"];
        rules = { recipient: data.recipient || {}, ej: {} };
        data.results.forEach(function (s) {
          rules.ej[String(s.id)] = s.ej_required;
          options.push("<option value=\"" + s.id + "\">" + escapeHtml(s.code + " — " + s.name) + "</option>");
        });
        if (!keepOptions) service.innerHTML = options.join("");
        applyRules();
      });
  }
  if (service) {
    service.addEventListener("change", function () {
      if (rules) { applyRules(); return; }
      var checked = form.querySelector("input[name='recipient']:checked");
      if (checked) loadServices(checked.value, true);
    });
  }
  function search() {
    var q = query.value.trim();
    if (q.length < 2) return;
    fetch(searchUrl + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        var checked = choices.querySelector("input:checked");
        var keep = checked ? checked.closest(".fr-fieldset__element").outerHTML : "";
        var keepId = checked ? checked.value : null;
        var html = [keep];
        data.results.forEach(function (s) {
          if (String(s.id) === keepId) return;
          html.push("<div class=\"fr-fieldset__element\"><div class=\"fr-radio-group fr-radio-rich\">" +
            "<input type=\"radio\" id=\"recipient-" + s.id + "\" name=\"recipient\" value=\"" + s.id + "\">" +
            "<label class=\"fr-label\" for=\"recipient-" + s.id + "\">" + escapeHtml(s.name) +
            "<span class=\"fr-hint-text\">SIRET " + escapeHtml(s.siret) + "</span></label></div></div>");
        });
        if (!data.results.length) html.push("<p class=\"fr-fieldset__element\">Aucun destinataire public actif ne correspond à « " + escapeHtml(q) + " ».</p>");
        choices.innerHTML = html.join("");
      });
  }
  if (query && choices && searchUrl) {
    var timer = null;
    query.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 300); });
    query.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); search(); } });
    if (searchButton) searchButton.addEventListener("click", function (event) { event.preventDefault(); search(); });
    choices.addEventListener("change", function (event) {
      if (event.target.name === "recipient") { query.value = ""; loadServices(event.target.value); }
    });
  }
})();
