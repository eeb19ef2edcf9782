//! The demo's SVG: predicted against realized returns, and the equity curves.

use crate::csv_out::Output;
use crate::error::{CliError, CliResult};
use plotters::prelude::*;
use std::io::Write;
use std::path::Path;

/// Points drawn in the scatter (evenly spaced through the test part).
const SCATTER_POINTS: usize = 4000;
/// Points per equity curve.
const CURVE_POINTS: usize = 2000;

/// Every `step`-th index of `0..n`, about `points` of them.
fn sample(n: usize, points: usize) -> impl Iterator<Item = usize> {
    (0..n).step_by(n.div_ceil(points.max(1)).max(1))
}

/// The smallest and largest finite values, widened so the range is never empty.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-12);
    (lo - pad, hi + pad)
}

/// Draws the two panels into an SVG string.
fn draw(
    svg: &mut String,
    predicted: &[f64],
    realized: &[f64],
    ridge_equity: &[f64],
    logistic_equity: &[f64],
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (1200, 1000)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(480);

    // Predicted against realized next-tick log returns.
    let idx: Vec<usize> = sample(predicted.len().min(realized.len()), SCATTER_POINTS)
        .filter(|&i| predicted[i].is_finite() && realized[i].is_finite())
        .collect();
    let (x0, x1) = range(idx.iter().map(|&i| predicted[i]));
    let (y0, y1) = range(idx.iter().map(|&i| realized[i]));
    let mut chart = ChartBuilder::on(&top)
        .caption(
            "Out of sample: predicted vs realized next-tick log return (ridge)",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("predicted")
        .y_desc("realized")
        .x_label_formatter(&|v| format!("{v:.1e}"))
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .draw()?;
    chart.draw_series(
        idx.iter()
            .map(|&i| Circle::new((predicted[i], realized[i]), 2, BLUE.mix(0.35).filled())),
    )?;

    // Cumulative log return of the sign strategies and of holding.
    let n = realized.len();
    let mut hold = Vec::with_capacity(n);
    let mut acc = 0.0;
    for r in realized {
        acc += r;
        hold.push(acc);
    }
    let curves: [(&str, &[f64], RGBColor); 3] = [
        ("ridge sign strategy", ridge_equity, BLUE),
        ("logistic sign strategy", logistic_equity, RED),
        ("buy and hold", &hold, BLACK),
    ];
    let (e0, e1) = range(curves.iter().flat_map(|(_, c, _)| c.iter().copied()));
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "Equity: cumulative log return over the test ticks (no trading costs)",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(0..n.max(1), e0..e1)?;
    chart
        .configure_mesh()
        .x_desc("test tick")
        .y_desc("log return")
        .draw()?;
    for (label, curve, color) in curves {
        chart
            .draw_series(LineSeries::new(
                sample(curve.len(), CURVE_POINTS).map(|i| (i, curve[i])),
                color.stroke_width(2),
            ))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE.mix(0.8))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Writes the SVG to `path` through a temporary file and a rename.
///
/// # Errors
/// A [`CliError`] when drawing or writing fails.
pub fn write_svg(
    path: &Path,
    predicted: &[f64],
    realized: &[f64],
    ridge_equity: &[f64],
    logistic_equity: &[f64],
) -> CliResult<()> {
    let mut svg = String::new();
    draw(&mut svg, predicted, realized, ridge_equity, logistic_equity)
        .map_err(|e| CliError::new(format!("plot: {e}")))?;
    let mut out = Output::create(Some(path))?;
    out.write_all(svg.as_bytes())
        .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))?;
    out.commit()
}
