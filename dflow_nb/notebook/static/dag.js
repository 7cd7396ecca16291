// src/model.ts
var e = {
	Pending: "#8fa4b1",
	Running: "#0dadea",
	Succeeded: "#18be94",
	Failed: "#e96d76",
	Error: "#d1444d",
	Skipped: "#b5c2cc",
	Omitted: "#b5c2cc",
	Terminated: "#f0a04b"
}, t = "#e4e9ec", n = [
	"Pending",
	"Running",
	"Succeeded",
	"Failed",
	"Error",
	"Skipped",
	"Omitted",
	"Terminated"
], r = /* @__PURE__ */ new Set([
	"Steps",
	"DAG",
	"StepGroup",
	"TaskGroup"
]);
function i(t) {
	return e[t ?? ""] ?? e.Pending;
}
function a(e) {
	return e === "Pending" || e === "Running";
}
function o(e) {
	let t = /* @__PURE__ */ new Map(), i = (e, n) => t.set(e, (t.get(e) ?? 0) + n);
	if (e.workflow?.counts) for (let [t, n] of Object.entries(e.workflow.counts)) i(t, n);
	else for (let t of e.nodes ?? []) if (t.group) for (let [e, n] of Object.entries(t.group.phases ?? {})) i(e, n);
	else !r.has(t.type) && t.id !== e.workflow?.id && i(t.phase, 1);
	let a = /* @__PURE__ */ new Map();
	for (let e of n) t.get(e) && a.set(e, t.get(e));
	return t.forEach((e, t) => {
		e && !a.has(t) && a.set(t, e);
	}), a;
}
function s(e) {
	let t = e.workflow?.progress;
	if (t) return t;
	let n = 0, r = 0;
	return o(e).forEach((e, t) => {
		r += e, a(t) || (n += e);
	}), {
		done: n,
		planned: r
	};
}
function c(e) {
	let t = e.done ?? Object.entries(e.phases ?? {}).filter(([e]) => !a(e)).reduce((e, [, t]) => e + t, 0);
	return {
		done: t,
		planned: Math.max(e.planned ?? e.count, e.count, t)
	};
}
var l = new Map(n.map((e) => [e.toLowerCase(), e]));
function u(e, t) {
	let n = t.trim().toLowerCase();
	if (!n) return !0;
	let r = l.get(n);
	return r ? e.phase === r || !!e.group?.phases?.[r] : [
		e.displayName,
		e.name,
		e.key ?? ""
	].some((e) => (e ?? "").toLowerCase().includes(n));
}
function d(e) {
	return (Array.isArray(e) ? e : Object.entries(e)).map(([e, t]) => `${t} ${e}`).join(", ");
}
function f(e) {
	if (e == null || e === "") return null;
	if (typeof e == "number") return e > 1e11 ? e : e * 1e3;
	let t = Date.parse(e);
	return isNaN(t) ? null : t;
}
function p(e) {
	let t = f(e);
	if (t === null) return "";
	let n = new Date(t);
	return (/* @__PURE__ */ new Date()).toDateString() === n.toDateString() ? n.toLocaleTimeString() : n.toLocaleString();
}
function m(e, t) {
	let n = f(e);
	if (n === null) return "";
	let r = f(t) ?? Date.now(), i = Math.max(0, (r - n) / 1e3);
	if (i < 60) return `${i.toFixed(1)}s`;
	let a = Math.floor(i / 60);
	return a < 60 ? `${a}m${String(Math.floor(i % 60)).padStart(2, "0")}s` : `${Math.floor(a / 60)}h${String(a % 60).padStart(2, "0")}m`;
}
var h = [
	"Succeeded",
	"Failed",
	"Error",
	"Running",
	"Pending",
	"Skipped",
	"Omitted"
];
function g(e) {
	if (e.group) return `×${e.group.count}  ${e.progress ?? ""}  ${e.phase}`;
	if (e.pending) return "not started";
	if (e.reused) return `${e.phase} · reused`;
	let t = e.progress;
	return e.type === "Pod" && t && t !== "1/1" && t !== "0/1" ? `${e.phase} ${t}` : e.type === "StepGroup" || e.type === "TaskGroup" ? "" : e.phase;
}
function _(e) {
	return "\"" + e.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n") + "\"";
}
function v(e) {
	let t = e.displayName || e.name || e.id;
	if (e.group) {
		let { done: n, planned: r } = c(e.group);
		return `${t}\n×${r}  (${n}/${r} done)`;
	}
	return t;
}
function y(e) {
	return `n${e}`;
}
function ee(e) {
	let n = /* @__PURE__ */ new Map();
	e.nodes.forEach((e, t) => n.set(e.id, t));
	let r = [
		"digraph workflow {",
		"  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, bgcolor=\"transparent\"];",
		"  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10, fontcolor=\"#ffffff\", height=0.3, margin=\"0.12,0.04\", color=\"#ffffff\", penwidth=0.8];",
		"  edge [color=\"#888888\", arrowsize=0.6];"
	];
	e.nodes.forEach((e, n) => {
		let a = [`label=${_(v(e))}`, `fillcolor=${_(i(e.phase))}`];
		e.pending ? (a[1] = `fillcolor=${_(t)}`, a.push("fontcolor=\"#5f6b73\"", "style=\"rounded,filled,dashed\"", "color=\"#8fa4b1\"")) : e.reused && a.push("style=\"rounded,filled,bold\"", "color=\"#1c2b36\"", "penwidth=1.6"), e.group ? a.push("shape=box3d", "style=\"filled\"") : (e.type === "StepGroup" || e.type === "TaskGroup") && (a[0] = "label=\"\"", a.push("shape=circle", "width=0.16", "height=0.16", "fixedsize=true")), r.push(`  ${y(n)} [${a.join(", ")}];`);
	});
	let a = /* @__PURE__ */ new Set();
	for (let [t, i] of e.edges ?? []) {
		let e = n.get(t), o = n.get(i), s = `${e}>${o}`;
		e === void 0 || o === void 0 || a.has(s) || (a.add(s), r.push(`  ${y(e)} -> ${y(o)};`));
	}
	return r.push("}"), r.join("\n");
}
function te(e) {
	let t = e.nodes.map((e) => `${e.id}|${e.group ? c(e.group).planned : ""}`);
	return JSON.stringify([
		t,
		e.edges ?? [],
		e.svg ?? null
	]);
}
// src/dom.ts
function b(e, t, n) {
	let r = document.createElement(e);
	return t && (r.className = t), n !== void 0 && (r.textContent = n), r;
}
function x(e, t, n, r) {
	let i = b("button", `dflow-nb-button ${t}`, e);
	return i.type = "button", r && (i.title = r), i.addEventListener("click", (e) => {
		e.stopPropagation(), n();
	}), i;
}
function S(e, t, n) {
	e.setAttribute("tabindex", "0"), e.setAttribute("role", "button"), n && e.setAttribute("aria-label", n), e.addEventListener("click", () => t()), e.addEventListener("keydown", (e) => {
		let n = e.key;
		(n === "Enter" || n === " ") && (e.preventDefault(), t());
	});
}
function C(e, t, n) {
	let r = b("a", "dflow-nb-download", t);
	return r.href = e, r.setAttribute("download", n ?? ""), r.rel = "noopener", r;
}
function w(e) {
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
function T(e, n = !1) {
	let r = b("span", "dflow-nb-dot");
	return r.style.background = n ? t : i(e), r;
}
function ne(e, t, n, r) {
	let i = Math.min(t.offset + n, t.total);
	e.replaceChildren(b("span", "dflow-nb-pageinfo", `${t.total ? t.offset + 1 : 0}–${i} of ${t.total}`)), t.offset > 0 && e.append(x("‹", "dflow-nb-prev", () => r(Math.max(0, t.offset - t.limit)), "previous page")), i < t.total && e.append(x("›", "dflow-nb-next", () => r(i), "next page"));
}
// src/details.ts
var re = /* @__PURE__ */ new Set([
	"text",
	"json",
	"csv",
	"image",
	"directory"
]);
function E(e) {
	let t = b("section", "dflow-nb-dsection");
	return t.append(b("h4", "dflow-nb-dtitle", e)), t;
}
function D(e) {
	let t = b("dl", "dflow-nb-facts");
	for (let [n, r] of e) r != null && r !== "" && t.append(b("dt", void 0, n), b("dd", void 0, r));
	return t;
}
function ie(e) {
	let t = b("table", "dflow-nb-params");
	for (let n of e) {
		let e = b("tr");
		e.dataset.param = n.name;
		let r = b("td", "dflow-nb-pvalue");
		r.append(b("code", void 0, n.value + (n.truncated ? " …" : ""))), e.append(b("td", "dflow-nb-pname", n.name), b("td", "dflow-nb-ptype", n.type ?? ""), r), t.append(e);
	}
	return t;
}
function O(e, t, n) {
	let r = b("div", "dflow-nb-preview");
	if (r.dataset.kind = e.kind, e.kind === "image" && t) {
		let n = b("img", "dflow-nb-previewimg");
		n.alt = e.name, n.src = t(e.path ?? void 0), r.append(n);
	} else if (e.kind === "csv" && e.table) {
		let t = b("table", "dflow-nb-csv"), n = b("tr");
		e.table.columns.forEach((e) => n.append(b("th", void 0, e))), t.append(n);
		for (let n of e.table.rows) {
			let e = b("tr");
			n.forEach((t) => e.append(b("td", void 0, t))), t.append(e);
		}
		r.append(t);
	} else if (e.kind === "directory" && e.files) {
		let t = b("ul", "dflow-nb-files");
		for (let r of e.files) {
			let e = b("li", "dflow-nb-file", `${r.path}  ${w(r.size)}`);
			e.dataset.path = r.path, n && S(e, () => n(r.path), `preview ${r.path}`), t.append(e);
		}
		r.append(t);
	} else e.text !== null && e.text !== void 0 ? r.append(b("pre", "dflow-nb-previewtext", e.text)) : r.append(b("div", "dflow-nb-note", `${e.kind}: no preview`));
	return (e.truncated || e.table?.truncated) && r.append(b("div", "dflow-nb-note", "preview truncated: download for the whole artifact")), r;
}
function ae(e, t) {
	let n = b("ul", "dflow-nb-artifacts");
	for (let r of e) {
		let e = b("li", "dflow-nb-artifact");
		e.dataset.artifact = r.name, e.dataset.kind = r.kind;
		let i = [
			r.kind,
			w(r.size),
			r.files ? `${r.files} files` : ""
		].filter(Boolean).join(", ");
		e.append(b("span", "dflow-nb-aname", r.name), b("span", "dflow-nb-ameta", ` ${i} `));
		let a = r.preview;
		if (a && t.artifact && re.has(r.kind)) {
			let n = b("div", "dflow-nb-previewslot"), i = (e) => {
				n.replaceChildren(b("div", "dflow-nb-note", "loading…")), t.artifact(a, e).then((r) => {
					let o = O(r, (n) => t.rawUrl(a, n ?? e), i);
					e && o.prepend(b("div", "dflow-nb-previewpath", e)), n.replaceChildren(o);
				}).catch((e) => n.replaceChildren(b("div", "dflow-nb-note", `preview failed: ${e?.message ?? e}`)));
			}, o = x("Preview", "dflow-nb-previewbtn", () => i());
			e.append(o), t.rawUrl && r.kind !== "directory" && e.append(" ", C(t.rawUrl(a), "Download", r.name)), e.append(n);
		} else if (a && t.rawUrl && r.kind !== "missing" && r.kind !== "directory") e.append(C(t.rawUrl(a), "Download", r.name));
		else if (r.previewData) {
			let t = r.previewData, n = b("div", "dflow-nb-previewslot");
			e.append(x("Preview", "dflow-nb-previewbtn", () => n.replaceChildren(O(t))), n);
		}
		n.append(e);
	}
	return n;
}
function k(e, t, n, r = []) {
	let i = t?.parameters ?? [], a = t?.artifacts ?? [], o = r.filter(([, e]) => e != null && e !== "");
	if (!i.length && !a.length && !o.length) return null;
	let s = E(e);
	return s.classList.add(`dflow-nb-${e.toLowerCase()}`), i.length && s.append(ie(i)), a.length && s.append(ae(a, n)), o.length && s.append(D(o)), s;
}
function oe(e, t, n) {
	let r = b("div", "dflow-nb-details");
	r.dataset.nodeId = e.id, r.dataset.phase = e.phase;
	let a = b("div", "dflow-nb-dhead"), o = b("span", "dflow-nb-badge", e.phase);
	o.style.background = i(e.phase), a.append(b("span", "dflow-nb-dname", e.displayName), o), e.reused && a.append(b("span", "dflow-nb-reusedtag", "reused")), r.append(a), e.message && r.append(b("div", "dflow-nb-dmessage", e.message));
	let s = E("Summary");
	s.append(D([
		["name", e.name],
		["id", e.id],
		["type", e.type],
		["key", e.key],
		["template", e.templateName],
		["group", e.group ? `${e.group.name} [${e.group.index ?? "?"} of ${e.group.planned ?? "?"}]` : null],
		["started", p(e.startedAt)],
		["finished", p(e.finishedAt)],
		["duration", e.startedAt ? m(e.startedAt, e.finishedAt) : null],
		["progress", e.progress]
	])), r.append(s);
	let c = k("Inputs", e.inputs, t), l = k("Outputs", e.outputs, t, [["result", e.outputs?.result], ["exit code", e.outputs?.exitCode]]);
	for (let e of [c, l]) e && r.append(e);
	if (e.attempts && e.attempts.length) {
		let t = E(`Attempts (${e.attempts.length})`);
		t.classList.add("dflow-nb-attempts");
		let i = b("ol", "dflow-nb-attemptlist");
		for (let t of e.attempts) {
			let e = b("li", "dflow-nb-attempt");
			e.dataset.nodeId = t.id, e.dataset.phase = t.phase, e.append(T(t.phase), b("span", void 0, `${t.displayName} ${t.phase} ${m(t.startedAt, t.finishedAt)}`), b("span", "dflow-nb-msg", t.message ? ` — ${t.message}` : "")), n && S(e, () => n(t.id), `attempt ${t.displayName}`), i.append(e);
		}
		t.append(i), r.append(t);
	}
	let u = (e, t) => {
		if (!t || !Object.keys(t).length) return;
		let n = E(e);
		n.classList.add(`dflow-nb-${e.split(" ")[0].toLowerCase()}`), n.append(D(Object.entries(t).map(([e, t]) => [e, typeof t == "string" ? t : JSON.stringify(t)]))), r.append(n);
	};
	return u("Executor record", e.executor), u("Argo", e.argo), r;
}
// src/logs.ts
var se = 2e6, ce = 1e3, le = class {
	constructor(e) {
		this.source = e, this.node = b("div", "dflow-nb-logpane"), this.title = b("div", "dflow-nb-logtitle"), this.bar = b("div", "dflow-nb-logbar"), this.follow = b("input"), this.search = b("input", "dflow-nb-logsearch"), this.matches = b("ul", "dflow-nb-logmatches"), this.text = b("pre", "dflow-nb-log"), this.download = b("span", "dflow-nb-logdownload"), this.nodeId = null, this.next = void 0, this.done = !1, this.timer = null, this.token = 0, this.searchTimer = null, this.follow.type = "checkbox", this.follow.checked = !0, this.follow.className = "dflow-nb-logfollow";
		let t = b("label", "dflow-nb-logfollowlabel");
		t.append(this.follow, document.createTextNode(" follow")), this.follow.addEventListener("change", () => this.schedule()), this.search.type = "search", this.search.placeholder = "search the log", this.search.setAttribute("aria-label", "search the log"), this.search.addEventListener("input", () => {
			this.searchTimer !== null && window.clearTimeout(this.searchTimer), this.searchTimer = window.setTimeout(() => void this.runSearch(), 250);
		}), this.bar.append(t, this.search, this.download), this.text.tabIndex = 0, this.node.append(this.title, this.bar, this.matches, this.text), this.node.hidden = !0;
	}
	open(e, t) {
		this.stop(), this.token++, this.nodeId = e, this.next = void 0, this.done = !1, this.node.hidden = !1, this.node.dataset.nodeId = e, delete this.node.dataset.loaded, this.title.textContent = `Log of ${t}`, this.text.textContent = "", this.matches.replaceChildren(), this.search.value = "", this.download.replaceChildren(), this.source.logDownloadUrl && this.download.append(C(this.source.logDownloadUrl(e), "Download", `${t}.log`)), this.poll();
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
		}, ce));
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
			e.length > 2e6 && (e = e.slice(e.length - se)), this.text.textContent = e;
		}
		this.text.textContent || (this.text.textContent = n.done === !1 ? "(no output yet)" : "(empty log)"), this.next = n.next ?? n.size ?? this.next, this.done = n.done ?? n.next === void 0, this.node.dataset.loaded = "true", this.node.dataset.done = String(this.done), this.follow.checked && (r || this.next === n.next) && (this.text.scrollTop = this.text.scrollHeight), this.schedule();
	}
	async runSearch() {
		let e = this.nodeId, t = this.search.value.trim();
		if (this.matches.replaceChildren(), !e || !t) return;
		let n = this.token;
		try {
			let r = await this.source.log(e, { search: t });
			if (n !== this.token || t !== this.search.value.trim()) return;
			let i = r.matches ?? [];
			this.matches.dataset.count = String(i.length), i.length || this.matches.append(b("li", "dflow-nb-note", "no line matches"));
			for (let e of i) {
				let t = b("li", "dflow-nb-logmatch");
				t.append(b("span", "dflow-nb-lineno", `${e.line}: `), b("span", void 0, e.text)), this.matches.append(t);
			}
		} catch (e) {
			this.matches.append(b("li", "dflow-nb-note", `search failed: ${e.message ?? e}`));
		}
	}
}, A = "http://www.w3.org/2000/svg", ue = /* @__PURE__ */ new Set([
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
]), de = /* @__PURE__ */ new Set([
	"text",
	"tspan",
	"title"
]), fe = 64, j = /^(?:node|edge|graph|cluster|dn-[A-Za-z0-9_-]+|dflow-nb-dag)$/, M = /^[A-Za-z_][A-Za-z0-9_.-]*$/, N = /^data-[a-z][a-z0-9-]*$/, P = /^[-+0-9.eE,\s]*(?:px|pt|pc|mm|cm|in|em|ex|%)?$/, F = /^[MmZzLlHhVvCcSsQqTtAa0-9eE.,+\-\s]*$/, I = /^[A-Za-z0-9.,+\-\s()]*$/, L = /* @__PURE__ */ new Set([
	"matrix",
	"translate",
	"scale",
	"rotate",
	"skewX",
	"skewY",
	"e",
	"E"
]), R = /^(?:#[0-9a-fA-F]{3,8}|[A-Za-z]{1,32}|(?:rgb|rgba|hsl|hsla)\([-+0-9.,%\s]*\))$/, z = /^[A-Za-z0-9-]+(?: [A-Za-z0-9-]+)*$/, B = /^[A-Za-z0-9_ ,'"-]*$/, V = /^url\(\s*#([A-Za-z_][A-Za-z0-9_.-]*)\s*\)$/, H = (e) => (t) => e.test(t) ? { value: t } : null, U = (e) => {
	let t = e.trim();
	if (t === "none") return { value: t };
	let n = V.exec(t);
	return n ? { ref: n[1] } : null;
}, pe = (e) => R.test(e.trim()) ? { value: e.trim() } : U(e), me = (e) => I.test(e) && (e.match(/[A-Za-z]+/g) ?? []).every((e) => L.has(e)) ? { value: e } : null, W = /* @__PURE__ */ new Map();
for (let e of /* @__PURE__ */ "x.y.x1.y1.x2.y2.cx.cy.r.rx.ry.dx.dy.width.height.viewBox.points.refX.refY.markerWidth.markerHeight.stroke-width.stroke-miterlimit.stroke-dasharray.stroke-dashoffset.font-size.opacity.fill-opacity.stroke-opacity.textLength".split(".")) W.set(e, H(P));
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
]) W.set(e, H(z));
for (let e of [
	"fill",
	"stroke",
	"color"
]) W.set(e, pe);
for (let e of [
	"marker-start",
	"marker-mid",
	"marker-end"
]) W.set(e, U);
W.set("d", H(F)), W.set("transform", me), W.set("font-family", H(B));
var he = 0;
function G(e) {
	let t = new DOMParser().parseFromString(e, "image/svg+xml"), n = t.documentElement;
	if (!n || n.namespaceURI !== "http://www.w3.org/2000/svg" || n.localName !== "svg" || t.getElementsByTagName("parsererror").length > 0) return null;
	let r = `-dnb${++he}`, i = /* @__PURE__ */ new Map(), a = [], o = (e, t) => {
		for (let n of Array.from(e.attributes)) {
			if (n.namespaceURI !== null || n.prefix !== null) continue;
			let e = n.localName, o = n.value;
			if (e === "id") {
				if (M.test(o)) {
					let e = i.get(o) ?? o + r;
					i.set(o, e), t.setAttribute("id", e);
				}
			} else if (e === "class") {
				let e = o.split(/\s+/).filter((e) => j.test(e));
				e.length > 0 && t.setAttribute("class", e.join(" "));
			} else if (N.test(e)) t.setAttribute(e, o);
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
		let r = de.has(e.localName);
		for (let i of Array.from(e.childNodes)) if (i.nodeType === Node.ELEMENT_NODE) {
			let e = i;
			if (e.namespaceURI !== "http://www.w3.org/2000/svg" || !ue.has(e.localName) || n >= fe) continue;
			let r = document.createElementNS(A, e.localName);
			o(e, r), s(e, r, n + 1), t.appendChild(r);
		} else r && (i.nodeType === Node.TEXT_NODE || i.nodeType === Node.CDATA_SECTION_NODE) && t.appendChild(document.createTextNode(i.data));
	}, c = document.createElementNS(A, "svg");
	o(n, c), s(n, c, 1);
	for (let { el: e, name: t, id: n } of a) {
		let r = i.get(n);
		r !== void 0 && e.setAttribute(t, `url(#${r})`);
	}
	return c;
}
var ge = class {
	constructor(e, t) {
		this.read = e, this.onOpen = t, this.node = b("div", "dflow-nb-slices"), this.title = b("div", "dflow-nb-slicestitle"), this.phase = b("select", "dflow-nb-slicefilter"), this.search = b("input", "dflow-nb-slicesearch"), this.list = b("ol", "dflow-nb-slicelist"), this.pager = b("div", "dflow-nb-pager"), this.query = {
			offset: 0,
			limit: 50
		}, this.groupId = null, this.token = 0, this.timer = null, this.phase.setAttribute("aria-label", "filter slices by phase");
		for (let e of ["", ...n]) {
			let t = b("option", void 0, e || "all phases");
			t.value = e, this.phase.append(t);
		}
		this.phase.addEventListener("change", () => this.requery({ phase: this.phase.value })), this.search.type = "search", this.search.placeholder = "search key or item", this.search.setAttribute("aria-label", "search slices by key or item"), this.search.addEventListener("input", () => {
			this.timer !== null && window.clearTimeout(this.timer), this.timer = window.setTimeout(() => this.requery({ search: this.search.value }), 200);
		});
		let r = b("div", "dflow-nb-slicebar");
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
		let e = this.groupId;
		if (!e) return;
		let t = ++this.token, n;
		try {
			n = await this.read(e, this.query);
		} catch (e) {
			t === this.token && this.list.replaceChildren(b("li", "dflow-nb-note", `slices unavailable: ${e.message ?? e}`));
			return;
		}
		t === this.token && this.render(n);
	}
	render(e) {
		let t = e.group, n = d(t.phases);
		this.title.textContent = `${t.name}: ${t.planned ?? t.count} slices (${n})`;
		let r = this.list.contains(document.activeElement);
		this.list.replaceChildren(), this.list.start = e.offset + 1;
		for (let t of e.items) {
			let e = b("li", "dflow-nb-slice");
			e.dataset.nodeId = t.id, e.dataset.phase = t.phase, e.append(T(t.phase), b("span", "dflow-nb-slicename", t.displayName), b("span", "dflow-nb-slicekey", t.key ? ` ${t.key}` : ""), b("span", "dflow-nb-slicephase", ` ${t.phase} ${m(t.startedAt, t.finishedAt)}`), b("span", "dflow-nb-msg", t.message ? ` — ${t.message}` : "")), S(e, () => this.onOpen(t.id, t.displayName), `${t.displayName}: ${t.phase}`), this.list.append(e);
		}
		e.items.length || this.list.append(b("li", "dflow-nb-note", "no slice matches")), r && this.list.firstElementChild?.focus(), ne(this.pager, e, e.items.length, (e) => {
			this.query = {
				...this.query,
				offset: e
			}, this.load();
		});
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
function _e(e, t, n, r = /* @__PURE__ */ new Map()) {
	let i = (e) => f(e), o = i(e.start) ?? Infinity, s = i(e.end) ?? -Infinity, c = (e, t) => {
		let r = i(e);
		r !== null && (o = Math.min(o, r), s = Math.max(s, i(t) ?? n));
	};
	e.rows.forEach((e) => c(e.startedAt, e.finishedAt)), e.groups.forEach((e) => c(e.startedAt, e.finishedAt)), isFinite(o) || (o = n), isFinite(s) && i(e.end) !== null || (s = Math.max(s, Math.min(n, o + 31536e6)));
	let l = Math.max(s - o, 1), u = (e, t) => {
		let n = i(e);
		return ((n === null ? t : n) - o) / l;
	}, p = /* @__PURE__ */ new Map(), h = [];
	for (let t of e.rows) if (t.group) {
		let e = p.get(t.group) ?? [];
		e.push(t), p.set(t.group, e);
	} else h.push({
		at: i(t.startedAt) ?? Infinity,
		lines: [g(t)]
	});
	function g(e, t) {
		let r = e.key ? `${e.displayName} (${e.key})` : e.displayName;
		return {
			kind: "step",
			id: e.id,
			label: r,
			phase: e.phase,
			x0: Math.max(0, u(e.startedAt, s)),
			x1: Math.min(1, u(e.finishedAt, a(e.phase) ? n : s)),
			group: t,
			title: `${r}: ${e.phase} ${m(e.startedAt, e.finishedAt)}`
		};
	}
	for (let a of e.groups) {
		let e = p.get(a.id) ?? [];
		p.delete(a.id);
		let o = Object.values(a.phases).reduce((e, t) => e + t, 0), c = Math.max(a.planned ?? 0, o), l = K.filter((e) => a.phases[e]).map((e) => [e, a.phases[e]]);
		for (let [e, t] of Object.entries(a.phases)) t && !K.includes(e) && l.push([e, t]);
		if (c > o) {
			let e = l.find(([e]) => e === "Pending");
			e ? e[1] += c - o : l.push(["Pending", c - o]);
		}
		let f = t.has(a.id), _ = l.some(([e]) => e === "Running") ? "Running" : l.some(([e]) => e === "Failed" || e === "Error") ? "Failed" : "Succeeded", v = d(l), y = [{
			kind: "group",
			id: a.id,
			label: `${a.name} ×${c}`,
			phase: _,
			x0: Math.max(0, u(a.startedAt, s)),
			x1: Math.min(1, u(a.finishedAt, n)),
			phases: l,
			count: c,
			expanded: f,
			title: `${a.name}: ${c} slices (${v}) ${m(a.startedAt, a.finishedAt)}`
		}];
		if (f) {
			let t = [...e].sort((e, t) => (i(e.startedAt) ?? Infinity) - (i(t.startedAt) ?? Infinity)), n = r.get(a.id) ?? 200;
			t.slice(0, n).forEach((e) => y.push(g(e, a.id))), t.length > n && y.push({
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
		h.push({
			at: i(a.startedAt) ?? Infinity,
			lines: y
		});
	}
	return p.forEach((e) => e.forEach((e) => h.push({
		at: i(e.startedAt) ?? Infinity,
		lines: [g(e)]
	}))), h.sort((e, t) => e.at - t.at), {
		start: o,
		end: s,
		lines: h.flatMap((e) => e.lines)
	};
}
function ve(e, t, n = 6) {
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
var ye = class {
	constructor(e) {
		this.onOpen = e, this.node = b("div", "dflow-nb-timeline"), this.expanded = /* @__PURE__ */ new Set(), this.shown = /* @__PURE__ */ new Map(), this.data = null, this.focusId = null;
	}
	update(e) {
		this.data = e ?? null, this.render();
	}
	toggle(e) {
		this.expanded.has(e) ? this.expanded.delete(e) : this.expanded.add(e), this.focusId = e, this.render();
	}
	render() {
		let e = this.data;
		if (!e || !e.rows.length && !e.groups.length) {
			this.node.replaceChildren(b("div", "dflow-nb-note", "no step has started yet"));
			return;
		}
		let n = _e(e, this.expanded, Date.now(), this.shown), r = b("div", "dflow-nb-tlaxis");
		r.append(b("span", "dflow-nb-tllabel"));
		let a = b("div", "dflow-nb-tltrack");
		for (let e of ve(n.start, n.end)) {
			let t = b("span", "dflow-nb-tltick", e.label);
			t.style.left = `${(e.at * 100).toFixed(2)}%`, a.append(t);
		}
		r.append(a);
		let o = b("div", "dflow-nb-tlrows"), s = null;
		for (let e of n.lines) {
			let n = b("div", `dflow-nb-tlrow dflow-nb-tl${e.kind}`);
			n.dataset.id = e.id, n.dataset.phase = e.phase, n.title = e.title;
			let r = b("span", "dflow-nb-tllabel", e.kind === "group" ? `${e.expanded ? "▾" : "▸"} ${e.label}` : e.label), a = b("div", "dflow-nb-tltrack");
			if (e.kind !== "more") {
				let n = b("div", "dflow-nb-tlbar");
				if (n.style.left = `${(e.x0 * 100).toFixed(3)}%`, n.style.width = `max(2px, ${((e.x1 - e.x0) * 100).toFixed(3)}%)`, e.phases) {
					let r = e.phases.reduce((e, [, t]) => e + t, 0) || 1;
					for (let [a, o] of e.phases) {
						let e = b("span", "dflow-nb-tlpart");
						e.dataset.phase = a, e.style.width = `${(o / r * 100).toFixed(3)}%`, e.style.background = a === "Pending" ? t : i(a), n.append(e);
					}
				} else n.style.background = i(e.phase);
				a.append(n);
			}
			n.append(r, a), e.kind === "group" ? (n.setAttribute("aria-expanded", String(!!e.expanded)), S(n, () => this.toggle(e.id), `${e.label}: show its slices`)) : e.kind === "more" ? n.replaceChildren(x(e.label, "dflow-nb-tlmorebtn", () => {
				let t = e.group;
				this.shown.set(t, (this.shown.get(t) ?? 200) + 200), this.focusId = null, this.render();
			})) : S(n, () => this.onOpen(e.id, e.label), e.title), e.id === this.focusId && (s = n), o.append(n);
		}
		let c = [r, o];
		e.truncated && c.push(b("div", "dflow-nb-note", `${e.total ?? ""} steps: the latest are summarised in their groups`));
		let l = this.node.contains(document.activeElement);
		this.node.replaceChildren(...c), s && l && s.focus();
	}
}, be = .05, q = (e) => Math.min(4, Math.max(be, e));
function xe(e, t, n, r, i = 8) {
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
function Se(e, t, n, r, i) {
	return {
		x: r / 2 - t * e.k,
		y: i / 2 - n * e.k,
		k: e.k
	};
}
function Ce(e) {
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
var we = class {
	constructor() {
		this.node = b("div", "dflow-nb-canvas"), this.toolbar = b("div", "dflow-nb-zoombar"), this.stage = b("div", "dflow-nb-stage"), this.svg = null, this.size = {
			w: 0,
			h: 0
		}, this.t = {
			x: 0,
			y: 0,
			k: 1
		}, this.fitted = !0, this.node.tabIndex = 0, this.node.setAttribute("aria-label", "workflow graph: + and - zoom, 0 fits, arrows pan"), this.node.append(this.stage), this.toolbar.append(x("+", "dflow-nb-zoomin", () => this.zoom(1.25), "zoom in"), x("−", "dflow-nb-zoomout", () => this.zoom(.8), "zoom out"), x("Fit", "dflow-nb-fit", () => this.fit(), "fit the graph"), x("1:1", "dflow-nb-actual", () => this.apply({
			...this.t,
			k: 1
		}), "actual size")), this.node.addEventListener("wheel", (e) => {
			if (!(e.ctrlKey || e.metaKey)) return;
			e.preventDefault();
			let t = this.node.getBoundingClientRect();
			this.apply(J(this.t, e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - t.left, e.clientY - t.top));
		}, { passive: !1 });
		let e = null;
		this.node.addEventListener("pointerdown", (t) => {
			t.button === 0 && (e = {
				x: t.clientX,
				y: t.clientY,
				t: this.t,
				moved: !1
			});
		}), this.node.addEventListener("pointermove", (t) => {
			if (!e) return;
			let n = t.clientX - e.x, r = t.clientY - e.y;
			!e.moved && Math.abs(n) + Math.abs(r) < 4 || (e.moved = !0, this.node.classList.add("dflow-nb-dragging"), this.apply({
				...e.t,
				x: e.t.x + n,
				y: e.t.y + r
			}));
		}), this.node.addEventListener("pointerup", () => {
			e?.moved && this.node.addEventListener("click", (e) => e.stopPropagation(), {
				capture: !0,
				once: !0
			}), e = null, this.node.classList.remove("dflow-nb-dragging");
		}), this.node.addEventListener("pointerleave", () => {
			e = null, this.node.classList.remove("dflow-nb-dragging");
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
		this.svg = e instanceof SVGSVGElement ? e : null, this.stage.replaceChildren(...e ? [e] : []), this.svg ? (this.size = Ce(this.svg), this.svg.setAttribute("width", String(this.size.w)), this.svg.setAttribute("height", String(this.size.h)), this.fitted ? this.fit() : this.apply(this.t)) : this.stage.style.transform = "";
	}
	fit() {
		let e = this.node.getBoundingClientRect();
		this.apply(xe(this.size.w, this.size.h, e.width, e.height)), this.fitted = !0;
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
		this.apply(Se(this.t, (t.x + t.width / 2) * r.x + r.dx, (t.y + t.height / 2) * r.y + r.dy, n.width, n.height));
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
}, Te = 3e3, Ee = 100;
function Y(e) {
	let t = e.nodes.filter((t) => t.group || !r.has(t.type) && t.id !== e.workflow.id), n = (e) => f(e.startedAt) ?? Infinity;
	return t.map((e, t) => ({
		n: e,
		i: t
	})).sort((e, t) => n(e.n) - n(t.n) || e.i - t.i).map((e) => e.n);
}
var X = class {
	constructor(e = {}) {
		this.options = e, this.header = b("div", "dflow-nb-header"), this.summary = b("div", "dflow-nb-summary"), this.searchBox = b("input", "dflow-nb-dagsearch"), this.searchInfo = b("span", "dflow-nb-searchinfo"), this.canvas = new we(), this.table = b("table", "dflow-nb-steps"), this.more = b("div", "dflow-nb-more"), this.side = b("div", "dflow-nb-side"), this.detailsBox = b("div", "dflow-nb-detailsbox"), this.logPane = null, this.bundle = null, this.source = {}, this.nodes = /* @__PURE__ */ new Map(), this.key = null, this.ownLayout = !1, this.renderToken = 0, this.detailsToken = 0, this.selected = null, this.selectedPhase = null, this.selectedLabel = "", this.rowsShown = 20, this.matchIndex = -1, this.node = b("div", "dflow-nb-workflow"), this.timeline = new ye((e, t) => this.select(e, t)), this.slices = new ge((e, t) => this.source.group ? this.source.group(e, t) : Promise.reject(/* @__PURE__ */ Error("needs the Jupyter server")), (e, t) => this.select(e, t)), e.noLog || (this.logPane = new le({
			log: (e, t) => this.source.log ? this.source.log(e, t) : Promise.reject(/* @__PURE__ */ Error("logs are read through the Jupyter server (dflow-nb/api)")),
			logDownloadUrl: (e) => this.source.logDownloadUrl?.(e) ?? ""
		})), this.searchBox.type = "search", this.searchBox.placeholder = "find a step: name, key or phase", this.searchBox.setAttribute("aria-label", "find a step by name, key or phase"), this.searchBox.addEventListener("input", () => {
			this.matchIndex = -1, this.applySearch();
		}), this.searchBox.addEventListener("keydown", (e) => {
			e.key === "Enter" && (e.preventDefault(), this.nextMatch(e.shiftKey ? -1 : 1));
		});
		let t = b("div", "dflow-nb-tools");
		t.append(this.searchBox, this.searchInfo, this.canvas.toolbar);
		let n = b("div", "dflow-nb-graphs"), r = b("div", "dflow-nb-dag");
		r.append(this.canvas.node), n.append(r, this.timeline.node);
		let i = b("div", "dflow-nb-tablebox");
		i.append(this.table, this.more), this.side.append(this.detailsBox, this.slices.node), this.logPane && this.side.append(this.logPane.node), this.side.hidden = !0;
		let a = b("div", "dflow-nb-lower");
		a.append(i, this.side), this.node.append(this.header, this.summary, t, n, a);
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
	renderHeader(e) {
		let t = e.workflow;
		this.header.replaceChildren();
		let n = b("span", "dflow-nb-name", t.name || t.id);
		n.title = t.id;
		let r = b("span", "dflow-nb-badge", t.phase);
		r.dataset.phase = t.phase, r.style.background = i(t.phase);
		let a = b("span", "dflow-nb-times"), o = p(t.startedAt);
		o && (a.textContent = `started ${o} · ${m(t.startedAt, t.finishedAt)}`);
		let { done: c, planned: l } = s(e), u = b("span", "dflow-nb-progress");
		u.dataset.done = String(c), u.dataset.planned = String(l);
		let d = b("span", "dflow-nb-meter"), f = b("span", "dflow-nb-meterfill");
		f.style.width = `${l ? (100 * c / l).toFixed(1) : 0}%`, d.append(f), u.append(d, b("span", "dflow-nb-progresstext", `${c}/${l} done`)), this.header.append(n, r, b("span", "dflow-nb-id", t.id), u, a), t.failed && this.header.append(b("span", "dflow-nb-failedcount", `${t.failed} failed`)), t.reused && this.header.append(b("span", "dflow-nb-reusedtag", `${t.reused} reused`)), t.message && this.header.append(b("div", "dflow-nb-message", t.message));
	}
	renderSummary(e) {
		this.summary.replaceChildren();
		let n = 0;
		o(e).forEach((e, r) => {
			n += e;
			let a = b("span", "dflow-nb-chip", `${r} ${e}`);
			a.dataset.phase = r, a.style.background = r === "Pending" ? t : i(r), this.summary.append(a);
		}), this.summary.prepend(b("span", "dflow-nb-total", `${n} step${n === 1 ? "" : "s"}`));
	}
	renderTable(e) {
		let t = Y(e);
		this.table.replaceChildren();
		let n = b("tr");
		for (let e of [
			"Step",
			"Key",
			"Phase",
			"Started",
			"Duration",
			"Message"
		]) n.append(b("th", void 0, e));
		this.table.append(b("thead")), this.table.tHead.append(n);
		let r = b("tbody");
		for (let e of t.slice(0, this.rowsShown)) {
			let t = b("tr", "dflow-nb-row");
			t.dataset.nodeId = e.id, t.dataset.phase = e.phase, t.classList.toggle("dflow-nb-selected", e.id === this.selected), t.classList.toggle("dflow-nb-pending", !!e.pending);
			let n = b("td", "dflow-nb-phase");
			n.append(T(e.phase, e.pending), document.createTextNode(e.phase)), e.reused && n.append(b("span", "dflow-nb-reusedtag", "reused")), e.group && n.append(b("span", "dflow-nb-groupcounts", " " + d(e.group.phases)));
			let i = b("td", "dflow-nb-stepname", e.group ? `${e.displayName} ×${e.group.planned ?? e.group.count}` : e.displayName);
			i.title = e.name, t.append(i, b("td", void 0, e.key ?? ""), n, b("td", void 0, p(e.startedAt)), b("td", void 0, m(e.startedAt, e.finishedAt)), b("td", "dflow-nb-msg", e.message ?? "")), S(t, () => this.select(e.id)), t.removeAttribute("role"), r.append(t);
		}
		this.table.append(r), this.more.replaceChildren(), t.length > this.rowsShown && this.more.append(b("span", void 0, `${this.rowsShown} of ${t.length} steps `), x("Show more", "dflow-nb-showmore", () => {
			this.rowsShown += Ee, this.renderTable(e);
		}));
	}
	updateTimeline(e) {
		if (e.timeline) this.timeline.update(e.timeline);
		else if (this.source.timeline) {
			let t = e;
			this.source.timeline().then((e) => {
				this.bundle === t && this.timeline.update(e);
			}).catch(() => this.timeline.update(Z(e)));
		} else this.timeline.update(Z(e));
	}
	async renderDag(e) {
		let t = ++this.renderToken, n = null;
		if (this.ownLayout = !1, e.svg) n = G(e.svg);
		else if (e.nodes.length > Te) {
			this.canvas.show(b("div", "dflow-nb-note", `${e.nodes.length} nodes: too many to draw, see the table`));
			return;
		} else if (e.nodes.length > 0 && this.options.layout) try {
			n = G(await this.options.layout(ee(e))), this.ownLayout = !0;
		} catch (e) {
			t === this.renderToken && this.canvas.show(b("div", "dflow-nb-note", `graph layout failed: ${e}`));
			return;
		}
		t === this.renderToken && (n === null ? this.canvas.show(null) : (n.classList.add("dflow-nb-svg"), this.annotate(n), this.canvas.show(n), this.applyPhases(), this.applySearch()));
	}
	annotate(e) {
		let t = this.bundle, n = /* @__PURE__ */ new Map();
		if (this.ownLayout) t.nodes.forEach((e, t) => n.set(y(t), e));
		else for (let e of t.nodes) n.set(e.displayName, e), n.set(e.name, e), n.set(e.id, e);
		let r = (e, t) => {
			t && (e.setAttribute("data-node-id", t.id), e.classList.add("dflow-nb-node"), S(e, () => this.select(t.id), t.displayName));
		};
		e.querySelectorAll("g[data-id]").forEach((e) => r(e, this.nodes.get(e.getAttribute("data-id")))), e.querySelectorAll("g.node:not([data-node-id])").forEach((e) => r(e, n.get((e.querySelector("title")?.textContent ?? "").trim()))), e.querySelector(":scope > g > title")?.remove();
	}
	applyPhases() {
		this.canvas.node.querySelectorAll("g[data-node-id]").forEach((e) => {
			let n = this.nodes.get(e.getAttribute("data-node-id"));
			if (!n) return;
			e.setAttribute("data-phase", n.phase), e.classList.toggle("dflow-nb-selected", n.id === this.selected), e.classList.toggle("dflow-nb-pending", !!n.pending), e.classList.toggle("dflow-nb-reused", !!n.reused);
			let r = n.pending ? t : i(n.phase), a = e.querySelector("title");
			if (a) {
				let e = n.pending ? "not started" : n.phase + (n.reused ? " (reused)" : "");
				a.textContent = `${n.displayName}: ${e}${n.message ? " — " + n.message : ""}`;
			}
			if (!this.ownLayout) {
				e.querySelectorAll(".dn-box").forEach((e) => e.setAttribute("fill", r));
				let t = e.querySelector(".dn-sub");
				t && (t.textContent = g(n));
				let i = e.querySelector(".dn-bar");
				i && n.group && De(i, n.group.phases);
			} else if (e.querySelectorAll("polygon, path, ellipse").forEach((e) => {
				e.getAttribute("fill") !== "none" && e.setAttribute("fill", r);
			}), n.group) {
				let t = e.querySelectorAll("text"), r = v(n).split("\n");
				t.length === r.length && t.forEach((e, t) => e.textContent = r[t]);
			}
		});
	}
	matches() {
		let e = this.searchBox.value;
		return e.trim() ? (this.bundle?.nodes ?? []).filter((t) => u(t, e)) : [];
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
	followSelection(e = !1) {
		let t = this.selected;
		if (!t || !this.bundle) return;
		let n = this.nodes.get(t), r = n?.phase ?? null, i = e || r === null || a(r) || r !== this.selectedPhase;
		if (this.selectedPhase = r, i) {
			if (n?.group) {
				let e = n.group, r = d(e.phases), i = b("div", "dflow-nb-details");
				i.dataset.nodeId = t, i.append(b("div", "dflow-nb-dname", `${n.displayName}: a fan-out of ${e.planned ?? e.count} slices`), b("div", "dflow-nb-note", r)), this.detailsBox.replaceChildren(i), this.source.group ? this.slices.open(t) : this.slices.close(), this.logPane?.note(`${n.displayName}`, "a fan-out has no log of its own: open one of its slices");
			} else e && this.slices.close(), this.loadDetails(t, n, e), e ? this.logPane?.open(t, this.selectedLabel) : this.logPane?.poke();
		}
	}
	loadDetails(e, t, n) {
		if (!this.source.details) {
			if (n && t) {
				let n = b("div", "dflow-nb-details");
				n.dataset.nodeId = e, n.dataset.phase = t.phase, n.append(b("div", "dflow-nb-dname", `${t.displayName} (${t.phase})`)), t.message && n.append(b("div", "dflow-nb-dmessage", t.message)), this.detailsBox.replaceChildren(n);
			}
			return;
		}
		let r = ++this.detailsToken;
		n && this.detailsBox.replaceChildren(b("div", "dflow-nb-note", "loading details…")), this.source.details(e).then((t) => {
			r === this.detailsToken && this.selected === e && this.detailsBox.replaceChildren(oe(t, this.source, (e) => this.select(e)));
		}).catch((t) => {
			r === this.detailsToken && this.selected === e && this.detailsBox.replaceChildren(b("div", "dflow-nb-note", `details unavailable: ${t.message ?? t}`));
		}), this.slices.node.hidden === !1 && this.slices.refresh();
	}
	dispose() {
		this.logPane?.stop();
	}
};
function De(e, t) {
	let n = (t) => parseFloat(e.getAttribute(`data-${t}`) ?? "") || 0, [r, a, o, s] = [
		n("x"),
		n("y"),
		n("w"),
		n("h")
	], c = Object.values(t).reduce((e, t) => e + t, 0) || 1, l = r;
	e.replaceChildren();
	for (let n of h) {
		let r = t[n] ?? 0;
		if (!r) continue;
		let u = o * r / c, d = document.createElementNS(A, "rect");
		d.setAttribute("x", l.toFixed(1)), d.setAttribute("y", a.toFixed(1)), d.setAttribute("width", u.toFixed(2)), d.setAttribute("height", s.toFixed(1)), d.setAttribute("fill", i(n)), e.append(d), l += u;
	}
}
function Z(e) {
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
function Q(e) {
	let t = e.get("states") ?? {}, n = e.get("summary") || null, r = (e.get("nodes") ?? []).map((e) => Oe(e, t[e.id]));
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
function Oe(e, t) {
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
function $(e, t, n) {
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
function ke(e) {
	return {
		details: (t) => $(e, { selected: t }, (e) => e.id === t && !e.group?.items),
		group: (t, n) => $(e, {
			selected: t,
			group_query: {
				...n,
				group: t
			}
		}, (e) => !!e.group?.items && e.group.group?.id === t && (e.group.offset ?? 0) === (n.offset ?? 0)).then((e) => e.group)
	};
}
function Ae({ model: e, el: t }) {
	t.classList.add("dflow-nb-live");
	let n = b("div", "dflow-nb-status"), r = new X({
		source: ke(e),
		noLog: !0
	});
	t.append(n, r.node);
	let i = null, a = () => {
		i === null && (i = window.requestAnimationFrame(() => {
			i = null, r.update(Q(e));
		}));
	}, o = () => {
		let r = String(e.get("status") ?? "");
		n.textContent = r, t.classList.toggle("dflow-nb-disconnected", r.startsWith("disconnected"));
	}, s = [
		"svg",
		"nodes",
		"edges",
		"states",
		"summary",
		"timeline"
	];
	return s.forEach((t) => e.on(`change:${t}`, a)), e.on("change:status", o), o(), e.set("want_timeline", !0), e.save_changes(), r.update(Q(e)), () => {
		s.forEach((t) => e.off(`change:${t}`, a)), e.off("change:status", o), r.dispose();
	};
}
var je = { render: Ae };
export { je as default };
