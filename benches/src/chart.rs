//! The SVG bar chart of speedups in docs/BENCHMARKS.md (plotters).

use crate::results::{Ablation, Section};
use plotters::prelude::*;
use std::path::Path;

/// Horizontal bars: log2 of each measured ratio, and of the ablation's all-off factor.
pub fn write_svg(path: &Path, sections: &[Section], ab: &Ablation) -> Result<(), String> {
    let mut bars: Vec<(String, f64)> = sections
        .iter()
        .flat_map(|s| &s.rows)
        .map(|r| (r.id.clone(), r.ratio()))
        .collect();
    bars.push(("pipeline.ablation_all_off_vs_on".into(), ab.slowdown(4)));
    let n = bars.len();
    let height = 40 + 22 * n as u32;
    let root = SVGBackend::new(path, (900, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let max = bars
        .iter()
        .map(|b| b.1.log2())
        .fold(1.0f64, f64::max)
        .ceil()
        + 0.5;
    let min = bars
        .iter()
        .map(|b| b.1.log2())
        .fold(0.0f64, f64::min)
        .floor();
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(290)
        .caption(
            "speedup over baseline (log2 scale; 0 = equal)",
            ("sans-serif", 16),
        )
        .build_cartesian_2d(min..max, 0..n)
        .map_err(|e| e.to_string())?;
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
        .x_label_formatter(&|v| format!("{:.0}x", 2f64.powf(*v)))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, (_, r))| {
            let color = if *r >= 1.0 {
                RGBColor(46, 125, 50)
            } else {
                RGBColor(198, 40, 40)
            };
            Rectangle::new([(0.0, i), (r.log2(), i + 1)], color.filled())
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
