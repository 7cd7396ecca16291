// The live DAG: Python sends the picture (only when the structure changes) and per-node states;
// this file repaints phases and group bars, and reports the node the user clicks.
const COLORS = {
  Succeeded: "#18be94", Failed: "#e96d76", Error: "#d1444d", Running: "#0dadea",
  Pending: "#8fa4b1", Skipped: "#b5c2cc", Omitted: "#b5c2cc",
};
const BAR_ORDER = ["Succeeded", "Failed", "Error", "Running", "Pending", "Skipped", "Omitted"];
const SVG_NS = "http://www.w3.org/2000/svg";

function subText(type, s) {
  if (s.count !== undefined) return `×${s.count}  ${s.progress || ""}  ${s.phase}`;
  if (type === "StepGroup" || type === "TaskGroup") return "";
  if (type === "Pod" && s.progress && s.progress !== "1/1" && s.progress !== "0/1") {
    return `${s.phase} ${s.progress}`;
  }
  return s.phase;
}

function paintBar(bar, phases) {
  const x0 = parseFloat(bar.dataset.x), y = bar.dataset.y;
  const w = parseFloat(bar.dataset.w), h = bar.dataset.h;
  const total = Object.values(phases).reduce((a, b) => a + b, 0) || 1;
  bar.replaceChildren();
  let x = x0;
  for (const phase of BAR_ORDER) {
    const k = phases[phase] || 0;
    if (!k) continue;
    const r = document.createElementNS(SVG_NS, "rect");
    const sw = (w * k) / total;
    r.setAttribute("x", x.toFixed(1)); r.setAttribute("y", y);
    r.setAttribute("width", sw.toFixed(2)); r.setAttribute("height", h);
    r.setAttribute("fill", COLORS[phase] || COLORS.Pending);
    bar.appendChild(r);
    x += sw;
  }
}

function render({ model, el }) {
  el.classList.add("dflow-nb-live");
  const status = document.createElement("div");
  status.className = "dflow-nb-status";
  const box = document.createElement("div");
  box.className = "dflow-nb-canvas";
  el.append(status, box);
  let nodes = new Map();

  function paint() {
    const states = model.get("states") || {};
    for (const [id, s] of Object.entries(states)) {
      const g = nodes.get(id);
      if (!g) continue;
      const fill = COLORS[s.phase] || COLORS.Pending;
      const shape = g.querySelector(".dn-box");
      if (shape) shape.setAttribute("fill", fill);
      const sub = g.querySelector(".dn-sub");
      if (sub) sub.textContent = subText(g.dataset.type, s);
      const bar = g.querySelector(".dn-bar");
      if (bar && s.phases) paintBar(bar, s.phases);
      g.classList.toggle("dn-selected", id === model.get("selected"));
    }
  }
  function draw() {
    box.innerHTML = model.get("svg") || "";
    nodes = new Map();
    for (const g of box.querySelectorAll(".dn-node")) {
      nodes.set(g.dataset.id, g);
      g.addEventListener("click", () => {
        model.set("selected", g.dataset.id);
        model.save_changes();
        paint();
      });
    }
    paint();
  }
  function showStatus() {
    const text = model.get("status") || "";
    status.textContent = text;
    el.classList.toggle("dflow-nb-disconnected", text.startsWith("disconnected"));
  }
  model.on("change:svg", draw);
  model.on("change:states", paint);
  model.on("change:selected", paint);
  model.on("change:status", showStatus);
  draw();
  showStatus();
  return () => { nodes = new Map(); };
}

export default { render };
