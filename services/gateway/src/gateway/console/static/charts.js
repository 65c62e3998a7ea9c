// Charts on uPlot (vendored, static/vendor/uplot): canvas, ~50 kB, redraws with setData() when
// a live event arrives, no dependencies.

const COLORS = ["#2563eb", "#16a34a", "#d97706", "#9333ea"];

function width(container) {
  return Math.max(320, container.clientWidth || container.parentElement?.clientWidth || 640);
}

function follow(container, chart) {
  const observer = new ResizeObserver(() => chart.setSize({ width: width(container), height: chart.height }));
  observer.observe(container);
  return () => {
    observer.disconnect();
    chart.destroy();
  };
}

/**
 * Bars per hour of the day (0-23), one series each, side by side.
 * Returns {update(series values), destroy()}.
 */
export function hourlyBars(container, labels, height = 220) {
  const hours = Array.from({ length: 24 }, (_, i) => i);
  const n = labels.length;
  const series = labels.map((label, i) => ({
    label,
    stroke: COLORS[i],
    fill: COLORS[i] + "cc",
    width: 0,
    // Two series side by side: the first ends at the hour's tick, the second starts there.
    paths: globalThis.uPlot.paths.bars({ size: [0.8 / n, 40], align: n === 1 ? 0 : i === 0 ? -1 : 1 }),
    points: { show: false },
  }));
  const chart = new globalThis.uPlot(
    {
      width: width(container),
      height,
      scales: { x: { time: false, range: [-0.6, 23.6] }, y: { range: (u, min, max) => [0, Math.max(4, max * 1.15)] } },
      axes: [
        { values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? `${v}:00` : "")), incrs: [1, 2, 3, 6] },
        { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
      ],
      series: [{ label: "hour", value: (u, v) => (v === null ? "" : `${v}:00`) }, ...series],
      legend: { live: true },
    },
    [hours, ...labels.map(() => hours.map(() => 0))],
    container,
  );
  const destroy = follow(container, chart);
  return {
    update(values) {
      chart.setData([hours, ...values]);
      // The figures drawn, readable beside the canvas (by tests and assistive tools).
      container.dataset.values = JSON.stringify(values);
    },
    destroy,
  };
}

/**
 * Lines over periods (weeks), each series on its own scale when ``scales`` says so.
 * ``periods``: labels of the x axis; ``series``: [{label, values, scale}].
 */
export function periodLines(container, periods, series, height = 240) {
  const xs = periods.map((_, i) => i);
  const scales = { x: { time: false, range: [-0.3, Math.max(1, periods.length - 1) + 0.3] } };
  const axes = [{ values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? periods[v] ?? "" : "")), incrs: [1, 2] }];
  series.forEach((s, i) => {
    if (!scales[s.scale]) {
      scales[s.scale] = { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] };
      axes.push({ scale: s.scale, side: i === 0 ? 3 : 1, stroke: COLORS[i], grid: { show: i === 0 }, values: s.format ? (u, v) => v.map(s.format) : undefined, size: 60 });
    }
  });
  const chart = new globalThis.uPlot(
    {
      width: width(container),
      height,
      scales,
      axes,
      series: [
        { label: "week", value: (u, v) => (v === null ? "" : periods[v] ?? "") },
        ...series.map((s, i) => ({
          label: s.label,
          scale: s.scale,
          stroke: COLORS[i],
          width: 2,
          points: { size: 6 },
          value: s.format ? (u, v) => (v === null ? "–" : s.format(v)) : undefined,
        })),
      ],
    },
    [xs, ...series.map((s) => s.values)],
    container,
  );
  return { destroy: follow(container, chart) };
}
