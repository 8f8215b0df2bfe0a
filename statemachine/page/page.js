(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  // Each machine's drawing: its states and transitions by name and index.
  var drawings = [];
  data.machines.forEach(function (m, i) {
    var d = { svg: null, states: {}, edges: {} };
    document.querySelectorAll("svg.graph").forEach(function (svg) {
      if (svg.getAttribute("data-machine") === m.name) d.svg = svg;
    });
    if (d.svg) {
      d.svg.querySelectorAll("[data-state]").forEach(function (el) {
        d.states[el.getAttribute("data-state")] = el;
        el.addEventListener("click", function (ev) { ev.stopPropagation(); inspect(i, el.getAttribute("data-state")); });
        el.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); inspect(i, el.getAttribute("data-state")); }
        });
      });
      d.svg.querySelectorAll("[data-edge]").forEach(function (el) { d.edges[el.getAttribute("data-edge")] = el; });
    }
    drawings.push(d);
  });
  var current = -1;
  var selected = null;
  var marks = ["m-succeeded", "m-failed", "m-caught", "m-running"];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  // A document's large parts are apart (data.parts), each replaced by
  // {data.ref: index}: put them back.
  function resolve(v) {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === "object") {
      var keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === data.ref) return resolve(data.parts[v[data.ref]]);
      var out = Object.create(null); // a "__proto__" key stays a key
      keys.forEach(function (k) { out[k] = resolve(v[k]); });
      return out;
    }
    return v;
  }
  function doc(i) {
    if (i === undefined || i < 0 || i >= data.docs.length) return null;
    var v = data.whole.indexOf(i) >= 0 ? data.docs[i] : resolve(data.docs[i]);
    return JSON.stringify(v, null, 2);
  }
  function ms(v) {
    if (v < 10) return v.toFixed(1) + " ms";
    if (v < 1000) return v.toFixed(0) + " ms";
    return (v / 1000).toFixed(2) + " s";
  }
  function block(parent, title, text, open, wrap) {
    if (text === null || text === undefined || text === "") return;
    var det = el("details");
    det.open = !!open;
    det.appendChild(el("summary", null, title));
    det.appendChild(el("pre", wrap ? "wrap" : null, text));
    parent.appendChild(det);
  }
  function execOf(machine) {
    if (current < 0) return null;
    var r = data.runs[current];
    for (var i = 0; i < r.executions.length; i++) if (r.executions[i].machine === machine) return r.executions[i];
    return null;
  }

  function draw() {
    drawings.forEach(function (d, m) {
      Object.keys(d.states).forEach(function (name) {
        var s = d.states[name];
        marks.forEach(function (c) { s.classList.remove(c); });
        s.classList.toggle("selected", !!selected && selected.machine === m && selected.state === name);
        var badge = s.querySelector(".badge");
        if (badge) badge.textContent = "";
      });
      Object.keys(d.edges).forEach(function (k) { d.edges[k].classList.remove("taken"); });
      var ex = execOf(m);
      if (!ex) return;
      Object.keys(ex.marks).forEach(function (name) {
        var s = d.states[name];
        if (s) s.classList.add("m-" + ex.marks[name]);
      });
      Object.keys(ex.badges).forEach(function (name) {
        var s = d.states[name];
        var badge = s && s.querySelector(".badge");
        if (badge) badge.textContent = ex.badges[name];
      });
      ex.edges.forEach(function (k) { if (d.edges[k]) d.edges[k].classList.add("taken"); });
    });
  }

  function selectRun(i) {
    current = i;
    document.querySelectorAll("button.run").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-run") === String(i) ? "true" : "false");
    });
    draw();
    if (selected) inspect(selected.machine, selected.state); else showRun();
  }

  function setInspector(title) {
    document.getElementById("inspector-title").textContent = title;
    var body = document.getElementById("inspector-body");
    while (body.firstChild) body.removeChild(body.firstChild);
    return body;
  }

  function statusLine(parent, status, error, cause) {
    var ok = status === "SUCCEEDED";
    parent.appendChild(el("p", ok ? "ok" : "bad", ok ? "✓ " + status : "✗ " + status + (error ? ": " + error : "")));
    if (!ok && cause) block(parent, "Cause", cause, true, true);
  }

  function showRun() {
    if (current < 0) return;
    var r = data.runs[current];
    var body = setInspector(r.event);
    statusLine(body, r.status);
    if (r.summary) body.appendChild(el("p", "meta", r.summary));
    if (r.executions.length === 0) body.appendChild(el("p", null, "No execution ran for this event."));
    r.executions.forEach(function (ex) {
      body.appendChild(el("h3", null, data.machines[ex.machine].title));
      body.appendChild(el("p", "meta", "execution " + ex.name + " · " + ms(ex.ms) + " · " + ex.visits.length + " states entered"));
      statusLine(body, ex.status, ex.error, ex.cause);
      block(body, "Execution input", doc(ex.input), false);
      block(body, "Execution output", doc(ex.output), false);
    });
    body.appendChild(el("p", "meta", "Click a state to see its input and output."));
  }

  function inspect(machine, name) {
    selected = { machine: machine, state: name };
    draw();
    var m = data.machines[machine];
    var info = m.states[name] || {};
    var body = setInspector(name);
    body.appendChild(el("p", "meta", m.name + " · " + (info.type || "") + (info.resource ? " · " + info.resource : "") + (info.retried ? " · with Retry" : "")));
    if (info.comment) body.appendChild(el("p", "meta", info.comment));
    var ex = execOf(machine);
    if (current >= 0) body.appendChild(el("p", "meta", "event " + data.runs[current].event));
    if (!ex) {
      body.appendChild(el("p", null, "The " + m.name + " did not run for this event."));
      return;
    }
    var visits = ex.visits.filter(function (v) { return v.state === name; });
    if (visits.length === 0) {
      body.appendChild(el("p", null, "Not entered in this execution."));
      return;
    }
    visits.forEach(function (v, i) {
      if (visits.length > 1) body.appendChild(el("h3", null, "Entered " + (i + 1) + " of " + visits.length));
      var line;
      switch (v.status) {
        case "succeeded": line = el("p", "ok", "✓ succeeded in " + ms(v.ms)); break;
        case "caught": line = el("p", "bad", "✗ failed after " + ms(v.ms) + ": " + v.error + (v.next ? "; caught → " + v.next : "")); break;
        case "failed": line = el("p", "bad", "✗ failed" + (v.error ? ": " + v.error : "")); break;
        default: line = el("p", "bad", "stopped while running");
      }
      body.appendChild(line);
      body.appendChild(el("p", "meta", "entered at +" + ms(v.at) + (v.scope ? " in " + v.scope : "") + (v.next && v.status === "succeeded" ? " · next: " + v.next : "")));
      if (v.attempts && v.attempts.length) {
        var ul = el("ul");
        v.attempts.forEach(function (a) {
          var t = "attempt " + a.attempt + " failed: " + a.error + (a.cause ? " (" + a.cause + ")" : "");
          if (a.delay !== undefined) t += "; retried after " + a.delay.toFixed(2) + " s (simulated)";
          ul.appendChild(el("li", null, t));
        });
        body.appendChild(el("p", "meta", v.retries ? v.retries + (v.retries === 1 ? " retry" : " retries") : "attempts"));
        body.appendChild(ul);
      }
      if (v.cause && v.status !== "succeeded") block(body, "Cause", v.cause, true, true);
      block(body, "Input", doc(v.input), true);
      block(body, "Task input (after Parameters)", doc(v.taskInput), false);
      block(body, "Task result", doc(v.result), false);
      block(body, "Output", doc(v.output), true);
    });
  }

  document.querySelectorAll("button.run").forEach(function (b) {
    b.addEventListener("click", function () { selectRun(Number(b.getAttribute("data-run"))); });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && selected) { selected = null; draw(); showRun(); }
  });
  if (data.runs.length > 0) selectRun(0);
})();
