//! PNG bar charts: minutes on shift per member, with each member's quota marked, for the
//! activity report and the shift leaderboard. Drawn with plotters into memory and encoded
//! with `png`; the text uses DejaVu Sans embedded in the binary (no system font lookup).

use std::sync::OnceLock;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// DejaVu Sans (free licence in `assets/fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
/// Characters of a name shown beside its bar; longer names are cut with `…`.
const LABEL_CHARS: usize = 24;
/// Chart width, and height per bar: a 100-member report is 900 × 2,300 pixels.
const WIDTH: u32 = 900;
const ROW: u32 = 22;
/// Rows charted at most; a report with more members shows the first ones (the CSV has all).
pub const MAX_BARS: usize = 200;

/// One member's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Their name (untrusted text; only drawn as pixels).
    pub label: String,
    /// Minutes on shift.
    pub minutes: f64,
    /// Minutes required of them over the period, if they have a quota.
    pub quota: Option<f64>,
}

/// The chart could not be drawn or encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the chart could not be drawn: {0}")]
pub struct ChartError(String);

impl ChartError {
    /// An error saying `why`.
    pub fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

fn err(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    ok.then_some(())
        .ok_or_else(|| ChartError::new("the embedded font could not be read"))
}

fn short(label: &str) -> String {
    let clean: String = label.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= LABEL_CHARS {
        clean
    } else {
        let mut cut: String = clean.chars().take(LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}

/// A horizontal bar per member (in the order given, first on top), bar length = minutes, a
/// red mark at each member's quota; `title` on top. Returns the PNG file's bytes.
pub fn minutes_png(title: &str, bars: &[Bar]) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let bars = &bars[..bars.len().min(MAX_BARS)];
    let rows = bars.len().max(1);
    let height = 90 + ROW * rows as u32;
    let mut pixels = vec![0u8; WIDTH as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let top = bars
            .iter()
            .map(|b| b.minutes.max(b.quota.unwrap_or(0.0)))
            .fold(0.0, f64::max);
        let x_max = if top > 0.0 { top * 1.08 } else { 60.0 };
        let labels: Vec<String> = bars.iter().map(|b| short(&b.label)).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 20))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..x_max, (0..rows).into_segmented())
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows)
            .y_label_formatter(&|value| match value {
                // Row i is drawn at rows - 1 - i, so the first member is on top.
                SegmentValue::CenterOf(i) => rows
                    .checked_sub(i + 1)
                    .and_then(|row| labels.get(row))
                    .cloned()
                    .unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc("minutes on shift (red: quota for the period)")
            .label_style((FAMILY, 13))
            .draw()
            .map_err(err)?;
        let slot = |i: usize| rows - 1 - i;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, bar)| {
                let y = slot(i);
                let mut rect = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(y)),
                        (bar.minutes.max(0.0), SegmentValue::Exact(y + 1)),
                    ],
                    RGBColor(88, 101, 242).filled(),
                );
                rect.set_margin(3, 3, 0, 0);
                rect
            }))
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, bar)| {
                let quota = bar.quota?;
                let y = slot(i);
                Some(PathElement::new(
                    vec![
                        (quota, SegmentValue::Exact(y)),
                        (quota, SegmentValue::Exact(y + 1)),
                    ],
                    RED.stroke_width(3),
                ))
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, WIDTH, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .map_err(err)?;
    Ok(png_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(bytes).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn draws_a_png_whose_height_follows_the_members() {
        let bars: Vec<Bar> = (0..5)
            .map(|i| Bar {
                label: format!("=member {i} with a name far too long to show"),
                minutes: f64::from(i) * 30.0,
                quota: (i % 2 == 0).then_some(60.0),
            })
            .collect();
        let png_bytes = minutes_png("Activity", &bars).unwrap();
        assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (width, height, pixels) = decode(&png_bytes);
        assert_eq!((width, height), (WIDTH, 90 + ROW * 5));
        // Something besides white was drawn: the bars (blue) and the quota marks (red).
        let has = |rgb: [u8; 3]| pixels.chunks(3).any(|p| p == rgb);
        assert!(has([88, 101, 242]), "bars");
        assert!(has([255, 0, 0]), "quota marks");
    }

    #[test]
    fn empty_and_odd_data_still_draw() {
        assert!(minutes_png("Nobody", &[]).is_ok());
        let odd = [Bar {
            label: "\u{202e}ǝɯɐu\n".into(),
            minutes: -5.0,
            quota: Some(0.0),
        }];
        assert!(minutes_png("", &odd).is_ok());
        assert_eq!(short("abc"), "abc");
        assert_eq!(short(&"x".repeat(30)).chars().count(), LABEL_CHARS);
    }
}
