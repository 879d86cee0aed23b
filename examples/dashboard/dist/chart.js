// Line charts of a reserve over time (ratio, leverage), drawn as SVG from the journal audit's
// history. Numbers become floats here only as pixel positions; the labels keep the exact text.
const NS = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs))
        e.setAttribute(k, String(v));
    return e;
}
/** A step chart of `points` titled `title`, with its first and last time and its range. */
export function lineChart(title, points, unit = '') {
    const w = 560;
    const h = 160;
    const pad = { l: 96, r: 12, t: 22, b: 26 };
    const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart', role: 'img', 'aria-label': title });
    const heading = svg('text', { x: pad.l, y: 14, class: 'chart-title' });
    heading.textContent = title;
    root.append(heading);
    if (points.length === 0) {
        const t = svg('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle', class: 'chart-empty' });
        t.textContent = 'no history';
        root.append(t);
        return root;
    }
    const ys = points.map((p) => Number(p.value));
    const times = points.map((p) => new Date(p.at).getTime());
    let lo = Math.min(...ys, 0);
    let hi = Math.max(...ys);
    if (hi === lo)
        hi = lo + 1;
    const t0 = times[0];
    const t1 = times[times.length - 1] === t0 ? t0 + 1 : times[times.length - 1];
    const x = (t) => pad.l + ((t - t0) / (t1 - t0)) * (w - pad.l - pad.r);
    const y = (v) => h - pad.b - ((v - lo) / (hi - lo)) * (h - pad.t - pad.b);
    let d = `M ${x(times[0])} ${y(ys[0])}`;
    for (let i = 1; i < points.length; i++)
        d += ` H ${x(times[i])} V ${y(ys[i])}`;
    d += ` H ${w - pad.r}`;
    root.append(svg('line', { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: 'axis' }));
    root.append(svg('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: h - pad.b, class: 'axis' }));
    root.append(svg('path', { d, class: 'line' }));
    const label = (text, lx, ly, anchor) => {
        const t = svg('text', { x: lx, y: ly, 'text-anchor': anchor, class: 'chart-label' });
        t.textContent = text;
        root.append(t);
    };
    const exact = (v) => points[ys.indexOf(v)]?.value ?? String(v);
    label(`${exact(hi)}${unit}`, pad.l - 6, pad.t + 4, 'end');
    label(`${lo === 0 && !ys.includes(0) ? '0' : exact(lo)}${unit}`, pad.l - 6, h - pad.b, 'end');
    label(new Date(t0).toISOString().slice(0, 16).replace('T', ' '), pad.l, h - 8, 'start');
    label(new Date(t1).toISOString().slice(0, 16).replace('T', ' '), w - pad.r, h - 8, 'end');
    const last = points[points.length - 1];
    label(`now ${last.value}${unit}`, w - pad.r, 14, 'end');
    return root;
}
