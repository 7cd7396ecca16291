// src/dom.ts
function e(e, t, n) {
	let r = document.createElement(e);
	return t && (r.className = t), n !== void 0 && (r.textContent = n), r;
}
function t(t, n, r, i) {
	let a = e("button", `dflow-nb-button ${n}`, t);
	return a.type = "button", i && (a.title = i), a.addEventListener("click", (e) => {
		e.stopPropagation(), r();
	}), a;
}
function n(e, t, n) {
	e.setAttribute("tabindex", "0"), e.setAttribute("role", "button"), n && e.setAttribute("aria-label", n), e.addEventListener("click", () => t()), e.addEventListener("keydown", (e) => {
		let n = e.key;
		(n === "Enter" || n === " ") && (e.preventDefault(), t());
	});
}
function r(t, n, r) {
	let i = e("a", "dflow-nb-download", n);
	return i.href = t, i.setAttribute("download", r ?? ""), i.rel = "noopener", i;
}
function i(e) {
	if (e == null) return "";
	let t = [
		"B",
		"kB",
		"MB",
		"GB",
		"TB"
	], n = e, r = 0;
	for (; n >= 1e3 && r < t.length - 1;) n /= 1e3, r++;
	return r === 0 ? `${n} B` : `${n.toFixed(1)} ${t[r]}`;
}
// src/model.ts
var a = {
	Pending: "#8fa4b1",
	Running: "#0dadea",
	Succeeded: "#18be94",
	Failed: "#e96d76",
	Error: "#d1444d",
	Skipped: "#b5c2cc",
	Omitted: "#b5c2cc",
	Terminated: "#f0a04b"
}, o = "#e4e9ec", s = [
	"Pending",
	"Running",
	"Succeeded",
	"Failed",
	"Error",
	"Skipped",
	"Omitted",
	"Terminated"
], c = /* @__PURE__ */ new Set([
	"Steps",
	"DAG",
	"StepGroup",
	"TaskGroup"
]);
function l(e) {
	return a[e ?? ""] ?? a.Pending;
}
function u(e) {
	return e === "Pending" || e === "Running";
}
function d(e) {
	let t = /* @__PURE__ */ new Map(), n = (e, n) => t.set(e, (t.get(e) ?? 0) + n);
	if (e.workflow?.counts) for (let [t, r] of Object.entries(e.workflow.counts)) n(t, r);
	else for (let t of e.nodes ?? []) if (t.group) for (let [e, r] of Object.entries(t.group.phases ?? {})) n(e, r);
	else !c.has(t.type) && t.id !== e.workflow?.id && n(t.phase, 1);
	let r = /* @__PURE__ */ new Map();
	for (let e of s) t.get(e) && r.set(e, t.get(e));
	return t.forEach((e, t) => {
		e && !r.has(t) && r.set(t, e);
	}), r;
}
function f(e) {
	let t = e.workflow?.progress;
	if (t) return t;
	let n = 0, r = 0;
	return d(e).forEach((e, t) => {
		r += e, u(t) || (n += e);
	}), {
		done: n,
		planned: r
	};
}
function p(e) {
	let t = e.done ?? Object.entries(e.phases ?? {}).filter(([e]) => !u(e)).reduce((e, [, t]) => e + t, 0);
	return {
		done: t,
		planned: Math.max(e.planned ?? e.count, e.count, t)
	};
}
var m = new Map(s.map((e) => [e.toLowerCase(), e]));
function h(e, t) {
	let n = t.trim().toLowerCase();
	if (!n) return !0;
	let r = m.get(n);
	return r ? e.phase === r || !!e.group?.phases?.[r] : [
		e.displayName,
		e.name,
		e.key ?? ""
	].some((e) => (e ?? "").toLowerCase().includes(n));
}
function g(e) {
	if (e == null || e === "") return null;
	if (typeof e == "number") return e > 1e11 ? e : e * 1e3;
	let t = Date.parse(e);
	return isNaN(t) ? null : t;
}
function _(e) {
	let t = g(e);
	if (t === null) return "";
	let n = new Date(t);
	return (/* @__PURE__ */ new Date()).toDateString() === n.toDateString() ? n.toLocaleTimeString() : n.toLocaleString();
}
function v(e, t) {
	let n = g(e);
	if (n === null) return "";
	let r = g(t) ?? Date.now(), i = Math.max(0, (r - n) / 1e3);
	if (i < 60) return `${i.toFixed(1)}s`;
	let a = Math.floor(i / 60);
	return a < 60 ? `${a}m${String(Math.floor(i % 60)).padStart(2, "0")}s` : `${Math.floor(a / 60)}h${String(a % 60).padStart(2, "0")}m`;
}
function y(e) {
	return "\"" + e.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n") + "\"";
}
function b(e) {
	let t = e.displayName || e.name || e.id;
	if (e.group) {
		let { done: n, planned: r } = p(e.group);
		return `${t}\n×${r}  (${n}/${r} done)`;
	}
	return t;
}
function x(e) {
	return `n${e}`;
}
function ee(e) {
	let t = /* @__PURE__ */ new Map();
	e.nodes.forEach((e, n) => t.set(e.id, n));
	let n = [
		"digraph workflow {",
		"  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, bgcolor=\"transparent\"];",
		"  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, fontcolor=\"#ffffff\", height=0.3, margin=\"0.12,0.04\", color=\"#ffffff\", penwidth=0.8];",
		"  edge [color=\"#888888\", arrowsize=0.6];"
	];
	e.nodes.forEach((e, t) => {
		let r = [`label=${y(b(e))}`, `fillcolor=${y(l(e.phase))}`];
		e.pending ? (r[1] = `fillcolor=${y(o)}`, r.push("fontcolor=\"#5f6b73\"", "style=\"rounded,filled,dashed\"", "color=\"#8fa4b1\"")) : e.reused && r.push("style=\"rounded,filled,bold\"", "color=\"#1c2b36\"", "penwidth=1.6"), e.group ? r.push("shape=box3d", "style=\"filled\"") : (e.type === "StepGroup" || e.type === "TaskGroup") && (r[0] = "label=\"\"", r.push("shape=circle", "width=0.16", "height=0.16", "fixedsize=true")), n.push(`  ${x(t)} [${r.join(", ")}];`);
	});
	let r = /* @__PURE__ */ new Set();
	for (let [i, a] of e.edges ?? []) {
		let e = t.get(i), o = t.get(a), s = `${e}>${o}`;
		e === void 0 || o === void 0 || r.has(s) || (r.add(s), n.push(`  ${x(e)} -> ${x(o)};`));
	}
	return n.push("}"), n.join("\n");
}
function te(e) {
	let t = e.nodes.map((e) => `${e.id}|${e.group ? p(e.group).planned : ""}`);
	return JSON.stringify([
		t,
		e.edges ?? [],
		e.svg ?? null
	]);
}
// src/details.ts
var S = /* @__PURE__ */ new Set([
	"text",
	"json",
	"csv",
	"image",
	"directory"
]);
function C(t) {
	let n = e("section", "dflow-nb-dsection");
	return n.append(e("h4", "dflow-nb-dtitle", t)), n;
}
function w(t) {
	let n = e("dl", "dflow-nb-facts");
	for (let [r, i] of t) i != null && i !== "" && n.append(e("dt", void 0, r), e("dd", void 0, i));
	return n;
}
function T(t) {
	let n = e("table", "dflow-nb-params");
	for (let r of t) {
		let t = e("tr");
		t.dataset.param = r.name;
		let i = e("td", "dflow-nb-pvalue");
		i.append(e("code", void 0, r.value + (r.truncated ? " …" : ""))), t.append(e("td", "dflow-nb-pname", r.name), e("td", "dflow-nb-ptype", r.type ?? ""), i), n.append(t);
	}
	return n;
}
function E(t, r, a) {
	let o = e("div", "dflow-nb-preview");
	if (o.dataset.kind = t.kind, t.kind === "image" && r) {
		let n = e("img", "dflow-nb-previewimg");
		n.alt = t.name, n.src = r(t.path ?? void 0), o.append(n);
	} else if (t.kind === "csv" && t.table) {
		let n = e("table", "dflow-nb-csv"), r = e("tr");
		t.table.columns.forEach((t) => r.append(e("th", void 0, t))), n.append(r);
		for (let r of t.table.rows) {
			let t = e("tr");
			r.forEach((n) => t.append(e("td", void 0, n))), n.append(t);
		}
		o.append(n);
	} else if (t.kind === "directory" && t.files) {
		let r = e("ul", "dflow-nb-files");
		for (let o of t.files) {
			let t = e("li", "dflow-nb-file", `${o.path}  ${i(o.size)}`);
			t.dataset.path = o.path, a && n(t, () => a(o.path), `preview ${o.path}`), r.append(t);
		}
		o.append(r);
	} else t.text !== null && t.text !== void 0 ? o.append(e("pre", "dflow-nb-previewtext", t.text)) : o.append(e("div", "dflow-nb-note", `${t.kind}: no preview`));
	return (t.truncated || t.table?.truncated) && o.append(e("div", "dflow-nb-note", "preview truncated: download for the whole artifact")), o;
}
function D(n, a) {
	let o = e("ul", "dflow-nb-artifacts");
	for (let s of n) {
		let n = e("li", "dflow-nb-artifact");
		n.dataset.artifact = s.name, n.dataset.kind = s.kind;
		let c = [
			s.kind,
			i(s.size),
			s.files ? `${s.files} files` : ""
		].filter(Boolean).join(", ");
		n.append(e("span", "dflow-nb-aname", s.name), e("span", "dflow-nb-ameta", ` ${c} `));
		let l = s.preview;
		if (l && a.artifact && S.has(s.kind)) {
			let i = e("div", "dflow-nb-previewslot"), o = (t) => {
				i.replaceChildren(e("div", "dflow-nb-note", "loading…")), a.artifact(l, t).then((n) => {
					let r = E(n, (e) => a.rawUrl(l, e ?? t), o);
					t && r.prepend(e("div", "dflow-nb-previewpath", t)), i.replaceChildren(r);
				}).catch((t) => i.replaceChildren(e("div", "dflow-nb-note", `preview failed: ${t?.message ?? t}`)));
			}, c = t("Preview", "dflow-nb-previewbtn", () => o());
			n.append(c), a.rawUrl && s.kind !== "directory" && n.append(" ", r(a.rawUrl(l), "Download", s.name)), n.append(i);
		} else if (l && a.rawUrl && s.kind !== "missing" && s.kind !== "directory") n.append(r(a.rawUrl(l), "Download", s.name));
		else if (s.previewData) {
			let r = s.previewData, i = e("div", "dflow-nb-previewslot");
			n.append(t("Preview", "dflow-nb-previewbtn", () => i.replaceChildren(E(r))), i);
		}
		o.append(n);
	}
	return o;
}
function O(e, t, n, r = []) {
	let i = t?.parameters ?? [], a = t?.artifacts ?? [], o = r.filter(([, e]) => e != null && e !== "");
	if (!i.length && !a.length && !o.length) return null;
	let s = C(e);
	return s.classList.add(`dflow-nb-${e.toLowerCase()}`), i.length && s.append(T(i)), a.length && s.append(D(a, n)), o.length && s.append(w(o)), s;
}
function ne(t, r, i) {
	let a = e("div", "dflow-nb-details");
	a.dataset.nodeId = t.id, a.dataset.phase = t.phase;
	let o = e("div", "dflow-nb-dhead"), s = e("span", "dflow-nb-badge", t.phase);
	s.style.background = l(t.phase), o.append(e("span", "dflow-nb-dname", t.displayName), s), t.reused && o.append(e("span", "dflow-nb-reusedtag", "reused")), a.append(o), t.message && a.append(e("div", "dflow-nb-dmessage", t.message));
	let c = C("Summary");
	c.append(w([
		["name", t.name],
		["id", t.id],
		["type", t.type],
		["key", t.key],
		["template", t.templateName],
		["group", t.group ? `${t.group.name} [${t.group.index ?? "?"} of ${t.group.planned ?? "?"}]` : null],
		["started", _(t.startedAt)],
		["finished", _(t.finishedAt)],
		["duration", t.startedAt ? v(t.startedAt, t.finishedAt) : null],
		["progress", t.progress]
	])), a.append(c);
	let u = O("Inputs", t.inputs, r), d = O("Outputs", t.outputs, r, [["result", t.outputs?.result], ["exit code", t.outputs?.exitCode]]);
	for (let e of [u, d]) e && a.append(e);
	if (t.attempts && t.attempts.length) {
		let r = C(`Attempts (${t.attempts.length})`);
		r.classList.add("dflow-nb-attempts");
		let o = e("ol", "dflow-nb-attemptlist");
		for (let r of t.attempts) {
			let t = e("li", "dflow-nb-attempt");
			t.dataset.nodeId = r.id, t.dataset.phase = r.phase;
			let a = e("span", "dflow-nb-dot");
			a.style.background = l(r.phase), t.append(a, e("span", void 0, `${r.displayName} ${r.phase} ${v(r.startedAt, r.finishedAt)}`), e("span", "dflow-nb-msg", r.message ? ` — ${r.message}` : "")), i && n(t, () => i(r.id), `attempt ${r.displayName}`), o.append(t);
		}
		r.append(o), a.append(r);
	}
	let f = (e, t) => {
		if (!t || !Object.keys(t).length) return;
		let n = C(e);
		n.classList.add(`dflow-nb-${e.split(" ")[0].toLowerCase()}`), n.append(w(Object.entries(t).map(([e, t]) => [e, typeof t == "string" ? t : JSON.stringify(t)]))), a.append(n);
	};
	return f("Executor record", t.executor), f("Argo", t.argo), a;
}
// src/logs.ts
var re = 2e6, ie = 1e3, ae = class {
	constructor(t) {
		this.source = t, this.node = e("div", "dflow-nb-logpane"), this.title = e("div", "dflow-nb-logtitle"), this.bar = e("div", "dflow-nb-logbar"), this.follow = e("input"), this.search = e("input", "dflow-nb-logsearch"), this.matches = e("ul", "dflow-nb-logmatches"), this.text = e("pre", "dflow-nb-log"), this.download = e("span", "dflow-nb-logdownload"), this.nodeId = null, this.next = void 0, this.done = !1, this.timer = null, this.token = 0, this.searchTimer = null, this.follow.type = "checkbox", this.follow.checked = !0, this.follow.className = "dflow-nb-logfollow";
		let n = e("label", "dflow-nb-logfollowlabel");
		n.append(this.follow, document.createTextNode(" follow")), this.follow.addEventListener("change", () => this.schedule()), this.search.type = "search", this.search.placeholder = "search the log", this.search.setAttribute("aria-label", "search the log"), this.search.addEventListener("input", () => {
			this.searchTimer !== null && window.clearTimeout(this.searchTimer), this.searchTimer = window.setTimeout(() => void this.runSearch(), 250);
		}), this.bar.append(n, this.search, this.download), this.text.tabIndex = 0, this.node.append(this.title, this.bar, this.matches, this.text), this.node.hidden = !0;
	}
	open(e, t) {
		this.stop(), this.token++, this.nodeId = e, this.next = void 0, this.done = !1, this.node.hidden = !1, this.node.dataset.nodeId = e, delete this.node.dataset.loaded, this.title.textContent = `Log of ${t}`, this.text.textContent = "", this.matches.replaceChildren(), this.search.value = "", this.download.replaceChildren(), this.source.logDownloadUrl && this.download.append(r(this.source.logDownloadUrl(e), "Download", `${t}.log`)), this.poll();
	}
	note(e, t) {
		this.stop(), this.token++, this.nodeId = null, this.node.hidden = !1, this.title.textContent = e, this.text.textContent = t, this.matches.replaceChildren(), this.download.replaceChildren();
	}
	poke() {
		this.nodeId && !this.done && this.timer === null && this.poll();
	}
	stop() {
		this.timer !== null && (window.clearTimeout(this.timer), this.timer = null);
	}
	schedule() {
		this.stop(), this.nodeId && !this.done && this.follow.checked && (this.timer = window.setTimeout(() => {
			this.timer = null, this.poll();
		}, ie));
	}
	async poll() {
		let e = this.nodeId;
		if (!e) return;
		let t = this.token, n;
		try {
			n = await this.source.log(e, this.next === void 0 ? {} : { offset: this.next });
		} catch (e) {
			t === this.token && (this.text.textContent = `log unavailable: ${e.message ?? e}`, this.done = !0);
			return;
		}
		if (t !== this.token) return;
		let r = this.text.scrollHeight - this.text.scrollTop - this.text.clientHeight < 24;
		if (this.next === void 0) {
			let e = n.truncated ? "… (earlier lines: download the whole log)\n" : "";
			this.text.textContent = e + (n.log || "");
		} else if (n.log) {
			let e = (this.text.textContent ?? "") + n.log;
			e.length > 2e6 && (e = e.slice(e.length - re)), this.text.textContent = e;
		}
		this.text.textContent || (this.text.textContent = n.done === !1 ? "(no output yet)" : "(empty log)"), this.next = n.next ?? n.size ?? this.next, this.done = n.done ?? n.next === void 0, this.node.dataset.loaded = "true", this.node.dataset.done = String(this.done), this.follow.checked && (r || this.next === n.next) && (this.text.scrollTop = this.text.scrollHeight), this.schedule();
	}
	async runSearch() {
		let t = this.nodeId, n = this.search.value.trim();
		if (this.matches.replaceChildren(), !t || !n) return;
		let r = this.token;
		try {
			let i = await this.source.log(t, { search: n });
			if (r !== this.token || n !== this.search.value.trim()) return;
			let a = i.matches ?? [];
			this.matches.dataset.count = String(a.length), a.length || this.matches.append(e("li", "dflow-nb-note", "no line matches"));
			for (let t of a) {
				let n = e("li", "dflow-nb-logmatch");
				n.append(e("span", "dflow-nb-lineno", `${t.line}: `), e("span", void 0, t.text)), this.matches.append(n);
			}
		} catch (t) {
			this.matches.append(e("li", "dflow-nb-note", `search failed: ${t.message ?? t}`));
		}
	}
}, k = "http://www.w3.org/2000/svg", oe = /* @__PURE__ */ new Set([
	"g",
	"defs",
	"marker",
	"title",
	"path",
	"rect",
	"circle",
	"ellipse",
	"line",
	"polyline",
	"polygon",
	"text",
	"tspan"
]), se = /* @__PURE__ */ new Set([
	"text",
	"tspan",
	"title"
]), ce = 64, le = /^(?:node|edge|graph|cluster|dn-[A-Za-z0-9_-]+|dflow-nb-dag)$/, A = /^[A-Za-z_][A-Za-z0-9_.-]*$/, j = /^data-[a-z][a-z0-9-]*$/, M = /^[-+0-9.eE,\s]*(?:px|pt|pc|mm|cm|in|em|ex|%)?$/, N = /^[MmZzLlHhVvCcSsQqTtAa0-9eE.,+\-\s]*$/, P = /^[A-Za-z0-9.,+\-\s()]*$/, F = /* @__PURE__ */ new Set([
	"matrix",
	"translate",
	"scale",
	"rotate",
	"skewX",
	"skewY",
	"e",
	"E"
]), I = /^(?:#[0-9a-fA-F]{3,8}|[A-Za-z]{1,32}|(?:rgb|rgba|hsl|hsla)\([-+0-9.,%\s]*\))$/, L = /^[A-Za-z0-9-]+(?: [A-Za-z0-9-]+)*$/, R = /^[A-Za-z0-9_ ,'"-]*$/, z = /^url\(\s*#([A-Za-z_][A-Za-z0-9_.-]*)\s*\)$/, B = (e) => (t) => e.test(t) ? { value: t } : null, V = (e) => {
	let t = e.trim();
	if (t === "none") return { value: t };
	let n = z.exec(t);
	return n ? { ref: n[1] } : null;
}, H = (e) => I.test(e.trim()) ? { value: e.trim() } : V(e), U = (e) => P.test(e) && (e.match(/[A-Za-z]+/g) ?? []).every((e) => F.has(e)) ? { value: e } : null, W = /* @__PURE__ */ new Map();
for (let e of /* @__PURE__ */ "x.y.x1.y1.x2.y2.cx.cy.r.rx.ry.dx.dy.width.height.viewBox.points.refX.refY.markerWidth.markerHeight.stroke-width.stroke-miterlimit.stroke-dasharray.stroke-dashoffset.font-size.opacity.fill-opacity.stroke-opacity.textLength".split(".")) W.set(e, B(M));
for (let e of [
	"text-anchor",
	"dominant-baseline",
	"alignment-baseline",
	"font-weight",
	"font-style",
	"font-variant",
	"font-stretch",
	"text-decoration",
	"stroke-linecap",
	"stroke-linejoin",
	"fill-rule",
	"clip-rule",
	"visibility",
	"orient",
	"markerUnits",
	"preserveAspectRatio",
	"lengthAdjust",
	"vector-effect",
	"shape-rendering",
	"text-rendering",
	"pointer-events",
	"cursor"
]) W.set(e, B(L));
for (let e of [
	"fill",
	"stroke",
	"color"
]) W.set(e, H);
for (let e of [
	"marker-start",
	"marker-mid",
	"marker-end"
]) W.set(e, V);
W.set("d", B(N)), W.set("transform", U), W.set("font-family", B(R));
var ue = 0;
function G(e) {
	let t = new DOMParser().parseFromString(e, "image/svg+xml"), n = t.documentElement;
	if (!n || n.namespaceURI !== "http://www.w3.org/2000/svg" || n.localName !== "svg" || t.getElementsByTagName("parsererror").length > 0) return null;
	let r = `-dnb${++ue}`, i = /* @__PURE__ */ new Map(), a = [], o = (e, t) => {
		for (let n of Array.from(e.attributes)) {
			if (n.namespaceURI !== null || n.prefix !== null) continue;
			let e = n.localName, o = n.value;
			if (e === "id") {
				if (A.test(o)) {
					let e = i.get(o) ?? o + r;
					i.set(o, e), t.setAttribute("id", e);
				}
			} else if (e === "class") {
				let e = o.split(/\s+/).filter((e) => le.test(e));
				e.length > 0 && t.setAttribute("class", e.join(" "));
			} else if (j.test(e)) t.setAttribute(e, o);
			else {
				let n = W.get(e)?.(o) ?? null;
				n && "value" in n ? t.setAttribute(e, n.value) : n && a.push({
					el: t,
					name: e,
					id: n.ref
				});
			}
		}
	}, s = (e, t, n) => {
		let r = se.has(e.localName);
		for (let i of Array.from(e.childNodes)) if (i.nodeType === Node.ELEMENT_NODE) {
			let e = i;
			if (e.namespaceURI !== "http://www.w3.org/2000/svg" || !oe.has(e.localName) || n >= ce) continue;
			let r = document.createElementNS(k, e.localName);
			o(e, r), s(e, r, n + 1), t.appendChild(r);
		} else r && (i.nodeType === Node.TEXT_NODE || i.nodeType === Node.CDATA_SECTION_NODE) && t.appendChild(document.createTextNode(i.data));
	}, c = document.createElementNS(k, "svg");
	o(n, c), s(n, c, 1);
	for (let { el: e, name: t, id: n } of a) {
		let r = i.get(n);
		r !== void 0 && e.setAttribute(t, `url(#${r})`);
	}
	return c;
}
var de = class {
	constructor(t, n) {
		this.read = t, this.onOpen = n, this.node = e("div", "dflow-nb-slices"), this.title = e("div", "dflow-nb-slicestitle"), this.phase = e("select", "dflow-nb-slicefilter"), this.search = e("input", "dflow-nb-slicesearch"), this.list = e("ol", "dflow-nb-slicelist"), this.pager = e("div", "dflow-nb-pager"), this.query = {
			offset: 0,
			limit: 50
		}, this.groupId = null, this.token = 0, this.timer = null, this.phase.setAttribute("aria-label", "filter slices by phase");
		for (let t of ["", ...s]) {
			let n = e("option", void 0, t || "all phases");
			n.value = t, this.phase.append(n);
		}
		this.phase.addEventListener("change", () => this.requery({ phase: this.phase.value })), this.search.type = "search", this.search.placeholder = "search key or item", this.search.setAttribute("aria-label", "search slices by key or item"), this.search.addEventListener("input", () => {
			this.timer !== null && window.clearTimeout(this.timer), this.timer = window.setTimeout(() => this.requery({ search: this.search.value }), 200);
		});
		let r = e("div", "dflow-nb-slicebar");
		r.append(this.phase, this.search), this.node.append(this.title, r, this.list, this.pager), this.node.hidden = !0;
	}
	open(e) {
		return e !== this.groupId && (this.groupId = e, this.query = {
			offset: 0,
			limit: 50
		}, this.phase.value = "", this.search.value = ""), this.node.hidden = !1, this.node.dataset.groupId = e, this.load();
	}
	close() {
		this.groupId = null, this.node.hidden = !0;
	}
	refresh() {
		return this.groupId ? this.load() : Promise.resolve();
	}
	requery(e) {
		this.query = {
			...this.query,
			...e,
			offset: 0
		}, this.load();
	}
	async load() {
		let t = this.groupId;
		if (!t) return;
		let n = ++this.token, r;
		try {
			r = await this.read(t, this.query);
		} catch (t) {
			n === this.token && this.list.replaceChildren(e("li", "dflow-nb-note", `slices unavailable: ${t.message ?? t}`));
			return;
		}
		n === this.token && this.render(r);
	}
	render(r) {
		let i = r.group, a = Object.entries(i.phases).map(([e, t]) => `${t} ${e}`).join(", ");
		this.title.textContent = `${i.name}: ${i.planned ?? i.count} slices (${a})`;
		let o = this.list.contains(document.activeElement);
		this.list.replaceChildren(), this.list.start = r.offset + 1;
		for (let t of r.items) {
			let r = e("li", "dflow-nb-slice");
			r.dataset.nodeId = t.id, r.dataset.phase = t.phase;
			let i = e("span", "dflow-nb-dot");
			i.style.background = l(t.phase), r.append(i, e("span", "dflow-nb-slicename", t.displayName), e("span", "dflow-nb-slicekey", t.key ? ` ${t.key}` : ""), e("span", "dflow-nb-slicephase", ` ${t.phase} ${v(t.startedAt, t.finishedAt)}`), e("span", "dflow-nb-msg", t.message ? ` — ${t.message}` : "")), n(r, () => this.onOpen(t.id, t.displayName), `${t.displayName}: ${t.phase}`), this.list.append(r);
		}
		r.items.length || this.list.append(e("li", "dflow-nb-note", "no slice matches")), o && this.list.firstElementChild?.focus(), this.pager.replaceChildren();
		let s = Math.min(r.offset + r.items.length, r.total);
		this.pager.append(e("span", "dflow-nb-pageinfo", `${r.total ? r.offset + 1 : 0}–${s} of ${r.total}`));
		let c = (e) => {
			this.query = {
				...this.query,
				offset: e
			}, this.load();
		};
		r.offset > 0 && this.pager.append(t("‹ Previous", "dflow-nb-prev", () => c(Math.max(0, r.offset - r.limit)))), s < r.total && this.pager.append(t("Next ›", "dflow-nb-next", () => c(r.offset + r.limit)));
	}
}, K = [
	"Failed",
	"Error",
	"Running",
	"Succeeded",
	"Skipped",
	"Omitted",
	"Pending"
];
function fe(e, t, n, r = /* @__PURE__ */ new Map()) {
	let i = (e) => g(e), a = i(e.start) ?? Infinity, o = i(e.end) ?? -Infinity, s = (e, t) => {
		let r = i(e);
		r !== null && (a = Math.min(a, r), o = Math.max(o, i(t) ?? n));
	};
	e.rows.forEach((e) => s(e.startedAt, e.finishedAt)), e.groups.forEach((e) => s(e.startedAt, e.finishedAt)), isFinite(a) || (a = n), isFinite(o) && i(e.end) !== null || (o = Math.max(o, Math.min(n, a + 31536e6)));
	let c = Math.max(o - a, 1), l = (e, t) => {
		let n = i(e);
		return ((n === null ? t : n) - a) / c;
	}, d = /* @__PURE__ */ new Map(), f = [];
	for (let t of e.rows) if (t.group) {
		let e = d.get(t.group) ?? [];
		e.push(t), d.set(t.group, e);
	} else f.push({
		at: i(t.startedAt) ?? Infinity,
		lines: [p(t)]
	});
	function p(e, t) {
		let r = e.key ? `${e.displayName} (${e.key})` : e.displayName;
		return {
			kind: "step",
			id: e.id,
			label: r,
			phase: e.phase,
			x0: Math.max(0, l(e.startedAt, o)),
			x1: Math.min(1, l(e.finishedAt, u(e.phase) ? n : o)),
			group: t,
			title: `${r}: ${e.phase} ${v(e.startedAt, e.finishedAt)}`
		};
	}
	for (let a of e.groups) {
		let e = d.get(a.id) ?? [];
		d.delete(a.id);
		let s = Object.values(a.phases).reduce((e, t) => e + t, 0), c = Math.max(a.planned ?? 0, s), u = K.filter((e) => a.phases[e]).map((e) => [e, a.phases[e]]);
		for (let [e, t] of Object.entries(a.phases)) t && !K.includes(e) && u.push([e, t]);
		if (c > s) {
			let e = u.find(([e]) => e === "Pending");
			e ? e[1] += c - s : u.push(["Pending", c - s]);
		}
		let m = t.has(a.id), h = u.some(([e]) => e === "Running") ? "Running" : u.some(([e]) => e === "Failed" || e === "Error") ? "Failed" : "Succeeded", g = u.map(([e, t]) => `${t} ${e}`).join(", "), _ = [{
			kind: "group",
			id: a.id,
			label: `${a.name} ×${c}`,
			phase: h,
			x0: Math.max(0, l(a.startedAt, o)),
			x1: Math.min(1, l(a.finishedAt, n)),
			phases: u,
			count: c,
			expanded: m,
			title: `${a.name}: ${c} slices (${g}) ${v(a.startedAt, a.finishedAt)}`
		}];
		if (m) {
			let t = [...e].sort((e, t) => (i(e.startedAt) ?? Infinity) - (i(t.startedAt) ?? Infinity)), n = r.get(a.id) ?? 200;
			t.slice(0, n).forEach((e) => _.push(p(e, a.id))), t.length > n && _.push({
				kind: "more",
				id: `${a.id}-more`,
				label: `${t.length - n} more slices`,
				phase: "",
				x0: 0,
				x1: 0,
				group: a.id,
				title: "show more slices"
			});
		}
		f.push({
			at: i(a.startedAt) ?? Infinity,
			lines: _
		});
	}
	return d.forEach((e) => e.forEach((e) => f.push({
		at: i(e.startedAt) ?? Infinity,
		lines: [p(e)]
	}))), f.sort((e, t) => e.at - t.at), {
		start: a,
		end: o,
		lines: f.flatMap((e) => e.lines)
	};
}
function pe(e, t, n = 6) {
	let r = Math.max(t - e, 1), i = [
		1e3,
		2e3,
		5e3,
		1e4,
		15e3,
		3e4,
		6e4,
		12e4,
		3e5,
		6e5,
		9e5,
		18e5,
		36e5,
		72e5,
		216e5,
		864e5
	].find((e) => r / e <= n) ?? Math.ceil(r / n / 864e5) * 864e5, a = [];
	for (let e = 0; e <= r; e += i) {
		let t = e / 1e3, n = t < 60 ? `${t}s` : t < 3600 ? `${Math.floor(t / 60)}m${t % 60 ? `${t % 60}s` : ""}` : `${(t / 3600).toFixed(t % 3600 ? 1 : 0)}h`;
		a.push({
			at: e / r,
			label: n
		});
	}
	return a;
}
var me = class {
	constructor(t) {
		this.onOpen = t, this.node = e("div", "dflow-nb-timeline"), this.expanded = /* @__PURE__ */ new Set(), this.shown = /* @__PURE__ */ new Map(), this.data = null, this.focusId = null;
	}
	update(e) {
		this.data = e ?? null, this.render();
	}
	toggle(e) {
		this.expanded.has(e) ? this.expanded.delete(e) : this.expanded.add(e), this.focusId = e, this.render();
	}
	render() {
		let r = this.data;
		if (!r || !r.rows.length && !r.groups.length) {
			this.node.replaceChildren(e("div", "dflow-nb-note", "no step has started yet"));
			return;
		}
		let i = fe(r, this.expanded, Date.now(), this.shown), a = e("div", "dflow-nb-tlaxis");
		a.append(e("span", "dflow-nb-tllabel"));
		let s = e("div", "dflow-nb-tltrack");
		for (let t of pe(i.start, i.end)) {
			let n = e("span", "dflow-nb-tltick", t.label);
			n.style.left = `${(t.at * 100).toFixed(2)}%`, s.append(n);
		}
		a.append(s);
		let c = e("div", "dflow-nb-tlrows"), u = null;
		for (let r of i.lines) {
			let i = e("div", `dflow-nb-tlrow dflow-nb-tl${r.kind}`);
			i.dataset.id = r.id, i.dataset.phase = r.phase, i.title = r.title;
			let a = e("span", "dflow-nb-tllabel", r.kind === "group" ? `${r.expanded ? "▾" : "▸"} ${r.label}` : r.label), s = e("div", "dflow-nb-tltrack");
			if (r.kind !== "more") {
				let t = e("div", "dflow-nb-tlbar");
				if (t.style.left = `${(r.x0 * 100).toFixed(3)}%`, t.style.width = `max(2px, ${((r.x1 - r.x0) * 100).toFixed(3)}%)`, r.phases) {
					let n = r.phases.reduce((e, [, t]) => e + t, 0) || 1;
					for (let [i, a] of r.phases) {
						let r = e("span", "dflow-nb-tlpart");
						r.dataset.phase = i, r.style.width = `${(a / n * 100).toFixed(3)}%`, r.style.background = i === "Pending" ? o : l(i), t.append(r);
					}
				} else t.style.background = l(r.phase);
				s.append(t);
			}
			i.append(a, s), r.kind === "group" ? (i.setAttribute("aria-expanded", String(!!r.expanded)), n(i, () => this.toggle(r.id), `${r.label}: show its slices`)) : r.kind === "more" ? i.replaceChildren(t(r.label, "dflow-nb-tlmorebtn", () => {
				let e = r.group;
				this.shown.set(e, (this.shown.get(e) ?? 200) + 200), this.focusId = null, this.render();
			})) : n(i, () => this.onOpen(r.id, r.label), r.title), r.id === this.focusId && (u = i), c.append(i);
		}
		let d = [a, c];
		r.truncated && d.push(e("div", "dflow-nb-note", `${r.total ?? ""} steps: the latest are summarised in their groups`));
		let f = this.node.contains(document.activeElement);
		this.node.replaceChildren(...d), u && f && u.focus();
	}
}, he = .05, q = (e) => Math.min(4, Math.max(he, e));
function ge(e, t, n, r, i = 8) {
	if (e <= 0 || t <= 0 || n <= 0 || r <= 0) return {
		x: 0,
		y: 0,
		k: 1
	};
	let a = q(Math.min((n - 2 * i) / e, (r - 2 * i) / t, 1));
	return {
		x: (n - e * a) / 2,
		y: Math.max(i, (r - t * a) / 2),
		k: a
	};
}
function J(e, t, n, r) {
	let i = q(e.k * t), a = i / e.k;
	return {
		x: n - (n - e.x) * a,
		y: r - (r - e.y) * a,
		k: i
	};
}
function _e(e, t, n, r, i) {
	return {
		x: r / 2 - t * e.k,
		y: i / 2 - n * e.k,
		k: e.k
	};
}
function ve(e) {
	let t = (e.getAttribute("viewBox") ?? "").trim().split(/[\s,]+/).map(Number);
	if (t.length === 4 && t.every(isFinite) && t[2] > 0 && t[3] > 0) return {
		w: t[2],
		h: t[3]
	};
	let n = (t) => parseFloat(e.getAttribute(t) ?? "") || 0;
	return {
		w: n("width"),
		h: n("height")
	};
}
var ye = class {
	constructor() {
		this.node = e("div", "dflow-nb-canvas"), this.toolbar = e("div", "dflow-nb-zoombar"), this.stage = e("div", "dflow-nb-stage"), this.svg = null, this.size = {
			w: 0,
			h: 0
		}, this.t = {
			x: 0,
			y: 0,
			k: 1
		}, this.fitted = !0, this.node.tabIndex = 0, this.node.setAttribute("aria-label", "workflow graph: + and - zoom, 0 fits, arrows pan"), this.node.append(this.stage), this.toolbar.append(t("+", "dflow-nb-zoomin", () => this.zoom(1.25), "zoom in"), t("−", "dflow-nb-zoomout", () => this.zoom(.8), "zoom out"), t("Fit", "dflow-nb-fit", () => this.fit(), "fit the graph"), t("1:1", "dflow-nb-actual", () => this.apply({
			...this.t,
			k: 1
		}), "actual size")), this.node.addEventListener("wheel", (e) => {
			if (!(e.ctrlKey || e.metaKey)) return;
			e.preventDefault();
			let t = this.node.getBoundingClientRect();
			this.apply(J(this.t, e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - t.left, e.clientY - t.top));
		}, { passive: !1 });
		let n = null;
		this.node.addEventListener("pointerdown", (e) => {
			e.button === 0 && (n = {
				x: e.clientX,
				y: e.clientY,
				t: this.t,
				moved: !1
			});
		}), this.node.addEventListener("pointermove", (e) => {
			if (!n) return;
			let t = e.clientX - n.x, r = e.clientY - n.y;
			!n.moved && Math.abs(t) + Math.abs(r) < 4 || (n.moved = !0, this.node.classList.add("dflow-nb-dragging"), this.apply({
				...n.t,
				x: n.t.x + t,
				y: n.t.y + r
			}));
		}), this.node.addEventListener("pointerup", () => {
			n?.moved && this.node.addEventListener("click", (e) => e.stopPropagation(), {
				capture: !0,
				once: !0
			}), n = null, this.node.classList.remove("dflow-nb-dragging");
		}), this.node.addEventListener("pointerleave", () => {
			n = null, this.node.classList.remove("dflow-nb-dragging");
		}), this.node.addEventListener("keydown", (e) => {
			if (e.target !== this.node) return;
			let t = {
				"+": () => this.zoom(1.25),
				"=": () => this.zoom(1.25),
				"-": () => this.zoom(.8),
				0: () => this.fit(),
				ArrowLeft: () => this.apply({
					...this.t,
					x: this.t.x + 40
				}),
				ArrowRight: () => this.apply({
					...this.t,
					x: this.t.x - 40
				}),
				ArrowUp: () => this.apply({
					...this.t,
					y: this.t.y + 40
				}),
				ArrowDown: () => this.apply({
					...this.t,
					y: this.t.y - 40
				})
			}[e.key];
			t && (e.preventDefault(), t());
		}), typeof ResizeObserver < "u" && new ResizeObserver(() => {
			this.fitted && this.fit();
		}).observe(this.node);
	}
	show(e) {
		this.svg = e instanceof SVGSVGElement ? e : null, this.stage.replaceChildren(...e ? [e] : []), this.svg ? (this.size = ve(this.svg), this.svg.setAttribute("width", String(this.size.w)), this.svg.setAttribute("height", String(this.size.h)), this.fitted ? this.fit() : this.apply(this.t)) : this.stage.style.transform = "";
	}
	fit() {
		let e = this.node.getBoundingClientRect();
		this.apply(ge(this.size.w, this.size.h, e.width, e.height)), this.fitted = !0;
	}
	zoom(e) {
		let t = this.node.getBoundingClientRect();
		this.apply(J(this.t, e, t.width / 2, t.height / 2));
	}
	reveal(e) {
		if (!this.svg) return;
		let t;
		try {
			t = e.getBBox();
		} catch {
			return;
		}
		let n = this.node.getBoundingClientRect(), r = this.svgScale();
		this.apply(_e(this.t, (t.x + t.width / 2) * r.x + r.dx, (t.y + t.height / 2) * r.y + r.dy, n.width, n.height));
	}
	svgScale() {
		let e = (this.svg?.getAttribute("viewBox") ?? "").trim().split(/[\s,]+/).map(Number);
		return e.length === 4 && e.every(isFinite) && e[2] > 0 && e[3] > 0 ? {
			x: this.size.w / e[2],
			y: this.size.h / e[3],
			dx: -e[0] * (this.size.w / e[2]),
			dy: -e[1] * (this.size.h / e[3])
		} : {
			x: 1,
			y: 1,
			dx: 0,
			dy: 0
		};
	}
	apply(e) {
		this.t = e, this.fitted = !1, this.stage.style.transform = `translate(${e.x}px, ${e.y}px) scale(${e.k})`, this.node.dataset.scale = e.k.toFixed(3);
	}
}, be = 3e3, xe = 100;
function Y(e) {
	let t = e.nodes.filter((t) => t.group || !c.has(t.type) && t.id !== e.workflow.id), n = (e) => g(e.startedAt) ?? Infinity;
	return t.map((e, t) => ({
		n: e,
		i: t
	})).sort((e, t) => n(e.n) - n(t.n) || e.i - t.i).map((e) => e.n);
}
var Se = class {
	constructor(t = {}) {
		this.options = t, this.header = e("div", "dflow-nb-header"), this.summary = e("div", "dflow-nb-summary"), this.searchBox = e("input", "dflow-nb-dagsearch"), this.searchInfo = e("span", "dflow-nb-searchinfo"), this.canvas = new ye(), this.table = e("table", "dflow-nb-steps"), this.more = e("div", "dflow-nb-more"), this.side = e("div", "dflow-nb-side"), this.detailsBox = e("div", "dflow-nb-detailsbox"), this.logPane = null, this.bundle = null, this.source = {}, this.nodes = /* @__PURE__ */ new Map(), this.key = null, this.ownLayout = !1, this.renderToken = 0, this.detailsToken = 0, this.selected = null, this.selectedPhase = null, this.selectedLabel = "", this.rowsShown = 20, this.matchIndex = -1, this.node = e("div", "dflow-nb-workflow"), this.timeline = new me((e, t) => this.select(e, t)), this.slices = new de((e, t) => this.source.group ? this.source.group(e, t) : Promise.reject(/* @__PURE__ */ Error("needs the Jupyter server")), (e, t) => this.select(e, t)), t.noLog || (this.logPane = new ae({
			log: (e, t) => this.source.log ? this.source.log(e, t) : Promise.reject(/* @__PURE__ */ Error("logs are read through the Jupyter server (dflow-nb/api)")),
			logDownloadUrl: (e) => this.source.logDownloadUrl?.(e) ?? ""
		})), this.searchBox.type = "search", this.searchBox.placeholder = "find a step: name, key or phase", this.searchBox.setAttribute("aria-label", "find a step by name, key or phase"), this.searchBox.addEventListener("input", () => {
			this.matchIndex = -1, this.applySearch();
		}), this.searchBox.addEventListener("keydown", (e) => {
			e.key === "Enter" && (e.preventDefault(), this.nextMatch(e.shiftKey ? -1 : 1));
		});
		let n = e("div", "dflow-nb-tools");
		n.append(this.searchBox, this.searchInfo, this.canvas.toolbar);
		let r = e("div", "dflow-nb-graphs"), i = e("div", "dflow-nb-dag");
		i.append(this.canvas.node), r.append(i, this.timeline.node);
		let a = e("div", "dflow-nb-tablebox");
		a.append(this.table, this.more), this.side.append(this.detailsBox, this.slices.node), this.logPane && this.side.append(this.logPane.node), this.side.hidden = !0;
		let o = e("div", "dflow-nb-lower");
		o.append(a, this.side), this.node.append(this.header, this.summary, n, r, o);
	}
	get current() {
		return this.bundle;
	}
	async update(e) {
		if (!e || !e.workflow || !Array.isArray(e.nodes)) {
			this.node.textContent = "dflow_nb: not a workflow bundle";
			return;
		}
		let t = this.options.source;
		this.source = typeof t == "function" ? t(e) : t ?? {}, this.bundle = e, this.nodes = new Map(e.nodes.map((e) => [e.id, e])), this.node.dataset.workflowId = e.workflow.id, this.node.dataset.phase = e.workflow.phase, this.renderHeader(e), this.renderSummary(e), this.renderTable(e), this.updateTimeline(e), this.followSelection();
		let n = te(e);
		n === this.key ? this.applyPhases() : (this.key = n, await this.renderDag(e));
	}
	renderHeader(t) {
		let n = t.workflow;
		this.header.replaceChildren();
		let r = e("span", "dflow-nb-name", n.name || n.id);
		r.title = n.id;
		let i = e("span", "dflow-nb-badge", n.phase);
		i.dataset.phase = n.phase, i.style.background = l(n.phase);
		let a = e("span", "dflow-nb-times"), o = _(n.startedAt);
		o && (a.textContent = `started ${o} · ${v(n.startedAt, n.finishedAt)}`);
		let { done: s, planned: c } = f(t), u = e("span", "dflow-nb-progress");
		u.dataset.done = String(s), u.dataset.planned = String(c);
		let d = e("span", "dflow-nb-meter"), p = e("span", "dflow-nb-meterfill");
		p.style.width = `${c ? (100 * s / c).toFixed(1) : 0}%`, d.append(p), u.append(d, e("span", "dflow-nb-progresstext", `${s}/${c} done`)), this.header.append(r, i, e("span", "dflow-nb-id", n.id), u, a), n.failed && this.header.append(e("span", "dflow-nb-failedcount", `${n.failed} failed`)), n.reused && this.header.append(e("span", "dflow-nb-reusedtag", `${n.reused} reused`)), n.message && this.header.append(e("div", "dflow-nb-message", n.message));
	}
	renderSummary(t) {
		this.summary.replaceChildren();
		let n = 0;
		d(t).forEach((t, r) => {
			n += t;
			let i = e("span", "dflow-nb-chip", `${r} ${t}`);
			i.dataset.phase = r, i.style.background = r === "Pending" ? o : l(r), this.summary.append(i);
		}), this.summary.prepend(e("span", "dflow-nb-total", `${n} step${n === 1 ? "" : "s"}`));
	}
	renderTable(r) {
		let i = Y(r);
		this.table.replaceChildren();
		let a = e("tr");
		for (let t of [
			"Step",
			"Key",
			"Phase",
			"Started",
			"Duration",
			"Message"
		]) a.append(e("th", void 0, t));
		this.table.append(e("thead")), this.table.tHead.append(a);
		let s = e("tbody");
		for (let t of i.slice(0, this.rowsShown)) {
			let r = e("tr", "dflow-nb-row");
			r.dataset.nodeId = t.id, r.dataset.phase = t.phase, r.classList.toggle("dflow-nb-selected", t.id === this.selected), r.classList.toggle("dflow-nb-pending", !!t.pending);
			let i = e("td", "dflow-nb-phase"), a = e("span", "dflow-nb-dot");
			if (a.style.background = t.pending ? o : l(t.phase), i.append(a, document.createTextNode(t.phase)), t.reused && i.append(e("span", "dflow-nb-reusedtag", "reused")), t.group) {
				let n = Object.entries(t.group.phases).map(([e, t]) => `${e} ${t}`);
				i.append(e("span", "dflow-nb-groupcounts", " " + n.join(", ")));
			}
			let c = e("td", "dflow-nb-stepname", t.group ? `${t.displayName} ×${t.group.planned ?? t.group.count}` : t.displayName);
			c.title = t.name, r.append(c, e("td", void 0, t.key ?? ""), i, e("td", void 0, _(t.startedAt)), e("td", void 0, v(t.startedAt, t.finishedAt)), e("td", "dflow-nb-msg", t.message ?? "")), n(r, () => this.select(t.id)), r.removeAttribute("role"), s.append(r);
		}
		this.table.append(s), this.more.replaceChildren(), i.length > this.rowsShown && this.more.append(e("span", void 0, `${this.rowsShown} of ${i.length} steps `), t("Show more", "dflow-nb-showmore", () => {
			this.rowsShown += xe, this.renderTable(r);
		}));
	}
	updateTimeline(e) {
		if (e.timeline) this.timeline.update(e.timeline);
		else if (this.source.timeline) {
			let t = e;
			this.source.timeline().then((e) => {
				this.bundle === t && this.timeline.update(e);
			}).catch(() => this.timeline.update(X(e)));
		} else this.timeline.update(X(e));
	}
	async renderDag(t) {
		let n = ++this.renderToken, r = null;
		if (this.ownLayout = !1, t.svg) r = G(t.svg);
		else if (t.nodes.length > be) {
			this.canvas.show(e("div", "dflow-nb-note", `${t.nodes.length} nodes: too many to draw, see the table`));
			return;
		} else if (t.nodes.length > 0 && this.options.layout) try {
			r = G(await this.options.layout(ee(t))), this.ownLayout = !0;
		} catch (t) {
			n === this.renderToken && this.canvas.show(e("div", "dflow-nb-note", `graph layout failed: ${t}`));
			return;
		}
		n === this.renderToken && (r === null ? this.canvas.show(null) : (r.classList.add("dflow-nb-svg"), this.annotate(r), this.canvas.show(r), this.applyPhases(), this.applySearch()));
	}
	annotate(e) {
		let t = this.bundle, r = /* @__PURE__ */ new Map();
		if (this.ownLayout) t.nodes.forEach((e, t) => r.set(x(t), e));
		else for (let e of t.nodes) r.set(e.displayName, e), r.set(e.name, e), r.set(e.id, e);
		let i = (e, t) => {
			t && (e.setAttribute("data-node-id", t.id), e.classList.add("dflow-nb-node"), n(e, () => this.select(t.id), t.displayName));
		};
		e.querySelectorAll("g[data-id]").forEach((e) => i(e, this.nodes.get(e.getAttribute("data-id")))), e.querySelectorAll("g.node:not([data-node-id])").forEach((e) => i(e, r.get((e.querySelector("title")?.textContent ?? "").trim()))), e.querySelector(":scope > g > title")?.remove();
	}
	applyPhases() {
		this.canvas.node.querySelectorAll("g[data-node-id]").forEach((e) => {
			let t = this.nodes.get(e.getAttribute("data-node-id"));
			if (!t) return;
			e.setAttribute("data-phase", t.phase), e.classList.toggle("dflow-nb-selected", t.id === this.selected), e.classList.toggle("dflow-nb-pending", !!t.pending), e.classList.toggle("dflow-nb-reused", !!t.reused);
			let n = t.pending ? o : l(t.phase), r = e.querySelector("title");
			if (r) {
				let e = t.pending ? "not started" : t.phase + (t.reused ? " (reused)" : "");
				r.textContent = `${t.displayName}: ${e}${t.message ? " — " + t.message : ""}`;
			}
			if (!this.ownLayout) e.querySelectorAll(".dn-box").forEach((e) => e.setAttribute("fill", n));
			else if (e.querySelectorAll("polygon, path, ellipse").forEach((e) => {
				e.getAttribute("fill") !== "none" && e.setAttribute("fill", n);
			}), t.group) {
				let n = e.querySelectorAll("text"), r = b(t).split("\n");
				n.length === r.length && n.forEach((e, t) => e.textContent = r[t]);
			}
		});
	}
	matches() {
		let e = this.searchBox.value;
		return e.trim() ? (this.bundle?.nodes ?? []).filter((t) => h(t, e)) : [];
	}
	applySearch() {
		let e = this.searchBox.value.trim(), t = new Set(this.matches().map((e) => e.id));
		this.canvas.node.classList.toggle("dflow-nb-searching", !!e), this.canvas.node.querySelectorAll("g[data-node-id]").forEach((e) => e.classList.toggle("dflow-nb-match", t.has(e.getAttribute("data-node-id")))), this.searchInfo.textContent = e ? `${t.size} match${t.size === 1 ? "" : "es"}` : "";
	}
	nextMatch(e) {
		let t = this.matches();
		if (!t.length) return;
		this.matchIndex = (this.matchIndex + e + t.length) % t.length;
		let n = t[this.matchIndex], r = this.canvas.node.querySelector(`g[data-node-id="${CSS.escape(n.id)}"]`);
		r && this.canvas.reveal(r), this.searchInfo.textContent = `${this.matchIndex + 1} of ${t.length}`, this.select(n.id);
	}
	select(e, t) {
		this.selected = e, this.selectedLabel = t ?? this.nodes.get(e)?.displayName ?? e, this.selectedPhase = null, this.side.hidden = !1, this.table.querySelectorAll("tr.dflow-nb-row").forEach((t) => t.classList.toggle("dflow-nb-selected", t.dataset.nodeId === e)), this.applyPhases(), this.followSelection(!0);
	}
	followSelection(t = !1) {
		let n = this.selected;
		if (!n || !this.bundle) return;
		let r = this.nodes.get(n), i = r?.phase ?? null, a = t || i === null || u(i) || i !== this.selectedPhase;
		if (this.selectedPhase = i, a) {
			if (r?.group) {
				let t = r.group, i = Object.entries(t.phases).map(([e, t]) => `${t} ${e}`).join(", "), a = e("div", "dflow-nb-details");
				a.dataset.nodeId = n, a.append(e("div", "dflow-nb-dname", `${r.displayName}: a fan-out of ${t.planned ?? t.count} slices`), e("div", "dflow-nb-note", i)), this.detailsBox.replaceChildren(a), this.source.group ? this.slices.open(n) : this.slices.close(), this.logPane?.note(`${r.displayName}`, "a fan-out has no log of its own: open one of its slices");
			} else t && this.slices.close(), this.loadDetails(n, r, t), t ? this.logPane?.open(n, this.selectedLabel) : this.logPane?.poke();
		}
	}
	loadDetails(t, n, r) {
		if (!this.source.details) {
			if (r && n) {
				let r = e("div", "dflow-nb-details");
				r.dataset.nodeId = t, r.dataset.phase = n.phase, r.append(e("div", "dflow-nb-dname", `${n.displayName} (${n.phase})`)), n.message && r.append(e("div", "dflow-nb-dmessage", n.message)), this.detailsBox.replaceChildren(r);
			}
			return;
		}
		let i = ++this.detailsToken;
		r && this.detailsBox.replaceChildren(e("div", "dflow-nb-note", "loading details…")), this.source.details(t).then((e) => {
			i === this.detailsToken && this.selected === t && this.detailsBox.replaceChildren(ne(e, this.source, (e) => this.select(e)));
		}).catch((n) => {
			i === this.detailsToken && this.selected === t && this.detailsBox.replaceChildren(e("div", "dflow-nb-note", `details unavailable: ${n.message ?? n}`));
		}), this.slices.node.hidden === !1 && this.slices.refresh();
	}
	dispose() {
		this.logPane?.stop();
	}
};
function X(e) {
	let t = Y(e);
	return {
		start: e.workflow.startedAt,
		end: e.workflow.finishedAt,
		rows: t.filter((e) => !e.group).map((e) => ({
			id: e.id,
			displayName: e.displayName,
			key: e.key,
			phase: e.phase,
			startedAt: e.startedAt,
			finishedAt: e.finishedAt
		})),
		groups: t.filter((e) => e.group).map((e) => ({
			id: e.id,
			name: e.displayName,
			startedAt: e.startedAt,
			finishedAt: e.finishedAt,
			planned: e.group.planned,
			phases: e.group.phases
		}))
	};
}
// src/widget.ts
function Z(e) {
	let t = e.get("states") ?? {}, n = e.get("summary") || null, r = (e.get("nodes") ?? []).map((e) => Ce(e, t[e.id]));
	return {
		version: 2,
		workflow: n ?? {
			id: "",
			name: "",
			phase: "Pending"
		},
		nodes: r,
		edges: e.get("edges") ?? [],
		svg: e.get("svg") || null,
		timeline: e.get("timeline") || null
	};
}
function Ce(e, t) {
	if (!t) return e;
	let n = { ...e };
	for (let e of [
		"phase",
		"progress",
		"pending",
		"reused",
		"message",
		"startedAt",
		"finishedAt"
	]) t[e] !== void 0 && (n[e] = t[e]);
	return e.group && (t.phases || t.count !== void 0 || t.planned !== void 0) && (n.group = {
		...e.group,
		count: t.count ?? e.group.count,
		planned: t.planned ?? e.group.planned,
		phases: t.phases ?? e.group.phases
	}), n;
}
function Q(e, t, n) {
	return new Promise((r, i) => {
		let a = window.setTimeout(() => {
			e.off("change:details", o), i(/* @__PURE__ */ Error("no answer from the kernel (is it running?)"));
		}, 3e4), o = () => {
			let t = e.get("details");
			t && n(t) && (window.clearTimeout(a), e.off("change:details", o), r(t));
		};
		e.on("change:details", o);
		for (let [n, r] of Object.entries(t)) e.set(n, r);
		e.save_changes(), o();
	});
}
function $(e) {
	return {
		details: (t) => Q(e, { selected: t }, (e) => e.id === t && !e.group?.items),
		group: (t, n) => Q(e, {
			selected: t,
			group_query: {
				...n,
				group: t
			}
		}, (e) => !!e.group?.items && e.group.group?.id === t && (e.group.offset ?? 0) === (n.offset ?? 0)).then((e) => e.group)
	};
}
function we({ model: t, el: n }) {
	n.classList.add("dflow-nb-live");
	let r = e("div", "dflow-nb-status"), i = new Se({
		source: $(t),
		noLog: !0
	});
	n.append(r, i.node);
	let a = null, o = () => {
		a === null && (a = window.requestAnimationFrame(() => {
			a = null, i.update(Z(t));
		}));
	}, s = () => {
		let e = String(t.get("status") ?? "");
		r.textContent = e, n.classList.toggle("dflow-nb-disconnected", e.startsWith("disconnected"));
	}, c = [
		"svg",
		"nodes",
		"edges",
		"states",
		"summary",
		"timeline"
	];
	return c.forEach((e) => t.on(`change:${e}`, o)), t.on("change:status", s), s(), t.set("want_timeline", !0), t.save_changes(), i.update(Z(t)), () => {
		c.forEach((e) => t.off(`change:${e}`, o)), t.off("change:status", s), i.dispose();
	};
}
var Te = { render: we };
export { Te as default };
