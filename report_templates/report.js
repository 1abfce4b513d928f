// The verdict controls of the report page. A file of its own, served from the page's origin, so that the
// page's Content-Security-Policy allows it with script-src 'self' (no inline handlers). Without it the
// controls stay hidden and the page shows the tally as the server rendered it.
(function () {
  "use strict";
  var bar = document.getElementById("verdicts");
  if (!bar || !window.fetch) return;
  var voter = document.getElementById("voter");
  var missed = document.getElementById("missed");
  var status = document.getElementById("vote-status");
  var KEY = "interview-bot-voter"; // the name this browser votes under, asked once

  function remember(name) {
    try { if (name) localStorage.setItem(KEY, name); } catch (e) { /* private mode: ask again */ }
  }
  try { voter.value = localStorage.getItem(KEY) || ""; } catch (e) { voter.value = ""; }

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "bad" : "";
  }

  function showTally(texts) {
    document.querySelectorAll("[data-tally]").forEach(function (el) {
      var text = texts[el.dataset.tally];
      el.textContent = text ? bar.dataset.label + ": " + text : "";
    });
  }

  function refused(code, body) {
    if (code === 401 || code === 403) return bar.dataset.expired;
    if (code === 404 || code === 410) return bar.dataset.gone;
    return (body && body.error) || bar.dataset.failed;
  }

  function vote(competency, verdict, button) {
    var name = voter.value.trim();
    if (!name) { say(bar.dataset.needName, true); voter.focus(); return; }
    remember(name);
    fetch(bar.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ competency: competency, verdict: verdict, user: name }),
    })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) { say(refused(r.status, body), true); return; }
          showTally(body.tally_text || {});
          if (button) {
            button.parentNode.querySelectorAll("button").forEach(function (b) {
              b.setAttribute("aria-pressed", String(b === button));
            });
          }
          say(bar.dataset.saved.replace("{0}", body.label || verdict), false);
        });
      })
      .catch(function () { say(bar.dataset.failed, true); });
  }

  // "Send to ATS": the draft goes to the ATS under the same name; several applications: pick one
  var ats = document.getElementById("send-ats");
  var choices = document.getElementById("ats-choices");

  function sendToAts(application) {
    var name = voter.value.trim();
    if (!name) { say(bar.dataset.needName, true); voter.focus(); return; }
    remember(name);
    ats.disabled = true;
    var body = { user: name };
    if (application) body.application = application;
    fetch(ats.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          choices.textContent = "";
          say(body.message || body.error || bar.dataset.failed, !r.ok);
          (body.applications || []).forEach(function (a) {
            var b = document.createElement("button");
            b.type = "button";
            b.textContent = a.label;
            b.addEventListener("click", function () { sendToAts(a.id); });
            choices.appendChild(b);
          });
        });
      })
      .catch(function () { say(bar.dataset.failed, true); })
      .then(function () { ats.disabled = false; });
  }
  if (ats) ats.addEventListener("click", function () { sendToAts(null); });

  bar.hidden = false;
  document.querySelectorAll(".vote[data-competency]").forEach(function (el) { el.hidden = false; });
  voter.addEventListener("change", function () { remember(voter.value.trim()); });
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest(".vote button[data-verdict]");
    if (button) vote(button.parentNode.dataset.competency, button.dataset.verdict, button);
  });
  missed.addEventListener("change", function () {
    if (missed.value) vote(missed.value, "missed", null);
    missed.value = "";
  });
})();
