//! Charts drawn on the server as SVG (no script, nothing fetched): horizontal bars, one per
//! label, each with its number written beside it, so a chart reads without colour or sight
//! (the same numbers are in the table the page puts next to it).

use maud::{html, Markup};

/// Pixels per bar row and for the label column.
const ROW: u32 = 22;
const LABEL_WIDTH: u32 = 110;
const BAR_WIDTH: u32 = 320;
const NUMBER_WIDTH: u32 = 60;

/// One bar per `(label, value)`, longest for the largest value; `title` names the chart for
/// screen readers.
pub fn bars(title: &str, rows: &[(String, usize)]) -> Markup {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = ROW * rows.len().max(1) as u32;
    let width = LABEL_WIDTH + BAR_WIDTH + NUMBER_WIDTH;
    html! {
        svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(title)
            viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height) {
            title { (title) }
            @for (i, (label, value)) in rows.iter().enumerate() {
                @let y = ROW * i as u32;
                @let length = bar_length(*value, max);
                text x=(LABEL_WIDTH - 6) y=(y + 15) text-anchor="end" font-size="13" { (label) }
                rect x=(LABEL_WIDTH) y=(y + 3) width=(length) height=(ROW - 6) fill="#2f6f9f" {}
                text x=(LABEL_WIDTH + length + 6) y=(y + 15) font-size="13" { (value) }
            }
        }
    }
}

/// The bar's length in pixels: proportional, and at least 1 for a value above 0 (a small
/// count must not look like none).
pub fn bar_length(value: usize, max: usize) -> u32 {
    if value == 0 {
        return 0;
    }
    let length = (value as f64 / max.max(1) as f64 * f64::from(BAR_WIDTH)).round() as u32;
    length.clamp(1, BAR_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_proportional_and_never_hide_a_small_count() {
        assert_eq!(bar_length(0, 10), 0);
        assert_eq!(bar_length(10, 10), BAR_WIDTH);
        assert_eq!(bar_length(5, 10), BAR_WIDTH / 2);
        assert_eq!(bar_length(1, 100_000), 1);
    }

    #[test]
    fn every_bar_carries_its_number_and_labels_are_escaped() {
        let svg = bars("件数", &[("<b>".into(), 3), ("月".into(), 12)]).into_string();
        assert!(svg.contains(">3</text>") && svg.contains(">12</text>"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("role=\"img\"") && svg.contains("aria-label=\"件数\""));
    }
}
