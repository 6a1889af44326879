/**
 * The report page's script, kept as plain JavaScript source (not a compiled TypeScript function's
 * `toString()`, which a bundler may rewrite with helpers that do not exist in the page). It reads
 * the chart data from `<script id="report-data" type="application/json">` and draws each chart
 * with Chart.js, which the page inlines before it. A chart that fails leaves a note in its card and
 * a console error (the report test fails on console errors); `document.documentElement.dataset.ready`
 * is set when all charts are drawn.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  // Tableau 10: distinct in print and for the common colour-vision deficiencies.
  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
  function colour(i) {
    return i < PALETTE.length ? PALETTE[i] : "hsl(" + ((i * 137.5) % 360) + ", 55%, 50%)";
  }
  var style = getComputedStyle(document.body);
  Chart.defaults.font.family = style.fontFamily;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#4a5160";
  Chart.defaults.borderColor = "#e6e8ec";
  // Drawn at once, so a screenshot or a printout shows the final picture.
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;

  function points(xs, ys) {
    var out = [];
    for (var i = 0; i < xs.length; i++) out.push({ x: xs[i], y: ys[i] });
    return out;
  }
  function hasValues(ys) {
    return ys.some(function (v) { return v !== null; });
  }
  function sci(v) {
    v = Number(v);
    return v === 0 ? "0" : Math.abs(v) < 0.01 || Math.abs(v) >= 1e4 ? v.toExponential(1) : String(+v.toPrecision(3));
  }
  function stepAxis() {
    return { type: "linear", title: { display: true, text: "step" }, ticks: { maxTicksLimit: 8 } };
  }

  // Vertical ±sd bars for datasets that carry an "sd" array (Chart.js has no error bars of its own).
  var errorBars = {
    id: "errorBars",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      chart.data.datasets.forEach(function (ds, di) {
        if (!ds.sd || !chart.isDatasetVisible(di)) return;
        var scale = chart.scales[ds.yAxisID || "y"];
        chart.getDatasetMeta(di).data.forEach(function (pt, i) {
          var v = ds.data[i], sd = ds.sd[i];
          if (v === null || sd === null || sd === undefined || !(sd > 0)) return;
          var top = scale.getPixelForValue(v + sd), bottom = scale.getPixelForValue(v - sd);
          ctx.save();
          ctx.strokeStyle = ds.borderColor;
          ctx.lineWidth = 1.5;
          ctx.beginPath();
          ctx.moveTo(pt.x, top); ctx.lineTo(pt.x, bottom);
          ctx.moveTo(pt.x - 4, top); ctx.lineTo(pt.x + 4, top);
          ctx.moveTo(pt.x - 4, bottom); ctx.lineTo(pt.x + 4, bottom);
          ctx.stroke();
          ctx.restore();
        });
      });
    },
  };

  var charts = {};
  function draw(id, makeConfig) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    try {
      charts[id] = new Chart(canvas, makeConfig());
    } catch (e) {
      console.error("report: the chart " + id + " could not be drawn:", e);
      var note = document.createElement("p");
      note.className = "note error";
      note.textContent = "This chart could not be drawn: " + e.message;
      canvas.parentElement.replaceWith(note);
    }
  }

  draw("chart-training", function () {
    var t = data.training;
    var datasets = [];
    if (hasValues(t.loss)) datasets.push({ label: "loss", data: points(t.step, t.loss), borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: "y" });
    if (hasValues(t.lr)) datasets.push({ label: "learning rate", data: points(t.step, t.lr), borderColor: PALETTE[1], backgroundColor: PALETTE[1], borderDash: [5, 4], yAxisID: "lr" });
    return {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        elements: { point: { radius: 0 }, line: { borderWidth: 1.8 } },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: stepAxis(),
          y: { position: "left", title: { display: true, text: "loss" } },
          lr: { position: "right", title: { display: true, text: "learning rate" }, grid: { drawOnChartArea: false }, ticks: { callback: sci } },
        },
      },
    };
  });

  draw("chart-collapse", function () {
    var c = data.collapse;
    var datasets = [];
    if (hasValues(c.std)) datasets.push({ label: "std of normalized embeddings", data: points(c.step, c.std), borderColor: PALETTE[2], backgroundColor: PALETTE[2], yAxisID: "y" });
    if (c.healthyStd !== null && c.step.length > 0) {
      datasets.push({
        label: "1/√D (no collapse)", data: [{ x: c.step[0], y: c.healthyStd }, { x: c.step[c.step.length - 1], y: c.healthyStd }],
        borderColor: "#9aa0aa", backgroundColor: "#9aa0aa", borderDash: [3, 3], borderWidth: 1, yAxisID: "y",
      });
    }
    // Measured at a few steps only: drawn with its points.
    if (c.rank.length > 0) datasets.push({ label: "effective rank", data: points(c.rankStep, c.rank), borderColor: PALETTE[3], backgroundColor: PALETTE[3], pointRadius: 2.5, yAxisID: "rank" });
    return {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        elements: { point: { radius: 0 }, line: { borderWidth: 1.8 } },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: stepAxis(),
          y: { position: "left", beginAtZero: true, title: { display: true, text: "std" }, ticks: { callback: sci } },
          rank: { position: "right", beginAtZero: true, suggestedMax: c.dim || undefined, title: { display: true, text: "effective rank" }, grid: { drawOnChartArea: false } },
        },
      },
    };
  });

  draw("chart-accuracy", function () {
    var a = data.accuracy;
    // Fixed colours for the baselines, so reports compare at a glance; methods take the palette in order.
    var colourOf = { supervised: PALETTE[4], random: PALETTE[9], raw_pixels: PALETTE[6], tfidf: PALETTE[8], mfcc: PALETTE[6], dtw: PALETTE[8], raw_features: PALETTE[6], logreg: PALETTE[6], knn_raw: PALETTE[8], gbdt: PALETTE[7], scratch: PALETTE[4] };
    var methods = 0;
    return {
      type: "line",
      data: {
        labels: a.labels,
        datasets: a.series.map(function (s) {
          if (!(s.encoder in colourOf)) colourOf[s.encoder] = colour(methods++);
          var c = colourOf[s.encoder];
          return {
            label: s.name, data: s.accuracy, sd: s.sd, borderColor: c, backgroundColor: c,
            borderDash: s.probe === "linear" ? [] : s.probe === "finetune" ? [2, 3] : [6, 4], borderWidth: s.baseline ? 1.6 : 2.6,
            pointRadius: 4, pointStyle: s.probe === "linear" ? "circle" : s.probe === "finetune" ? "triangle" : "rectRot", spanGaps: true,
          };
        }),
      },
      plugins: [errorBars],
      options: {
        scales: {
          x: { title: { display: true, text: a.axis === "label fraction" ? "share of training rows labelled" : "labelled examples per class" } },
          y: { min: 0, max: 1, title: { display: true, text: "test accuracy" }, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var sd = ctx.dataset.sd[ctx.dataIndex];
                return ctx.dataset.label + ": " + (ctx.parsed.y * 100).toFixed(1) + "%" + (sd ? " ± " + (sd * 100).toFixed(1) : "");
              },
            },
          },
        },
      },
    };
  });

  draw("chart-validation", function () {
    var v = data.validation, t = data.training;
    var datasets = [];
    if (v.trainingLossInNats && hasValues(t.loss)) {
      datasets.push({ label: "training loss", data: points(t.step, t.loss), borderColor: "#b8c7da", backgroundColor: "#b8c7da", borderWidth: 1.2, pointRadius: 0, yAxisID: "y" });
    }
    if (hasValues(v.natsPerToken)) datasets.push({ label: "validation nats / token", data: points(v.step, v.natsPerToken), borderColor: PALETTE[0], backgroundColor: PALETTE[0], pointRadius: 2.5, yAxisID: "y", perplexity: v.perplexity });
    var bpb = hasValues(v.bitsPerByte);
    if (bpb) datasets.push({ label: "validation bits / byte", data: points(v.step, v.bitsPerByte), borderColor: PALETTE[1], backgroundColor: PALETTE[1], borderDash: [5, 4], pointRadius: 2.5, yAxisID: "bpb" });
    return {
      type: "line",
      data: { datasets: datasets },
      options: {
        parsing: false,
        spanGaps: true,
        elements: { point: { radius: 0 }, line: { borderWidth: 1.8 } },
        interaction: { mode: "nearest", axis: "x", intersect: false },
        scales: {
          x: stepAxis(),
          y: { position: "left", title: { display: true, text: "nats / token" } },
          bpb: { display: bpb, position: "right", title: { display: true, text: "bits / byte" }, grid: { drawOnChartArea: false } },
        },
        plugins: {
          tooltip: {
            callbacks: {
              label: function (ctx) {
                var y = ctx.parsed.y, text = ctx.dataset.label + ": " + y.toFixed(3);
                if (ctx.dataset.perplexity) {
                  var p = ctx.dataset.perplexity[ctx.dataIndex];
                  text += " (perplexity " + (p === null || p === undefined ? Math.exp(y) : p).toFixed(2) + ")";
                }
                return text;
              },
            },
          },
        },
      },
    };
  });

  // Lines of at most about width characters, broken at spaces, for a tooltip.
  function wrap(text, width, maxLines) {
    var lines = [], line = "";
    text.split(" ").forEach(function (word) {
      if (line !== "" && line.length + 1 + word.length > width) { lines.push(line); line = word; }
      else line = line === "" ? word : line + " " + word;
    });
    if (line !== "") lines.push(line);
    if (lines.length > maxLines) { lines = lines.slice(0, maxLines); lines[maxLines - 1] += " …"; }
    return lines;
  }

  // A map's points grouped by class; the legend's title says what the colours are.
  function scatterMap(m, legendTitle) {
    var withTexts = m.classes.some(function (cls) { return cls.texts; });
    return {
      type: "scatter",
      data: {
        datasets: m.classes.map(function (cls, i) {
          var pts = [];
          for (var j = 0; j < cls.xy.length; j += 2) pts.push({ x: cls.xy[j], y: cls.xy[j + 1] });
          return { label: cls.name === undefined ? String(cls.label) : cls.name, data: pts, texts: cls.texts, backgroundColor: colour(i), borderWidth: 0, pointRadius: 2.2, pointHoverRadius: 4 };
        }),
      },
      options: {
        parsing: false,
        scales: { x: { ticks: { display: false }, grid: { display: false } }, y: { ticks: { display: false }, grid: { display: false } } },
        plugins: {
          legend: { position: "right", title: { display: true, text: legendTitle }, labels: { usePointStyle: true } },
          // Text runs with texts.json (audio runs: the clips' files): the label and the point's text; otherwise Chart.js's default (label and coordinates).
          tooltip: withTexts ? {
            callbacks: {
              label: function (ctx) {
                var texts = ctx.dataset.texts;
                return [ctx.dataset.label].concat(texts ? wrap(texts[ctx.dataIndex] || "", 56, 4) : []);
              },
            },
          } : {},
        },
      },
    };
  }

  draw("chart-map", function () { return scatterMap(data.map, "label"); });
  // An audio run's second colouring of the same points (by voice, engine or word).
  draw("chart-map-voice", function () { return scatterMap(data.voiceMap, data.voiceMap.by); });

  window.pretextReport = { charts: charts };
  document.documentElement.dataset.ready = "true";
})();
`;
