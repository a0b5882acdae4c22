//! `/vehicles` and `/bans`: paged lists.

use crate::erlc::models::{Bans, Include, Vehicle};
use crate::ui::colours;
use crate::ui::escape::{code_span, plain_line};
use crate::ui::message::{Embed, MAX_DESCRIPTION, Message};
use crate::ui::names::{display_name, name_link};

use super::super::common::pack_lines;
use super::super::paging::{PageInfo, PagedView, page_buttons};

/// What [`vehicles_page`] reads from `GET /v2/server`: the vehicles, with the plate and colour
/// only v2 has.
pub const VEHICLES_SECTIONS: Include = Include::none().vehicles();

/// `/vehicles`: owner, model, plate and colour (a swatch and its name), by owner.
pub fn vehicles_page(
    label: &str,
    vehicles: &[Vehicle],
    page: usize,
    per_page: usize,
) -> (Message, PageInfo) {
    let mut sorted: Vec<&Vehicle> = vehicles.iter().collect();
    sorted.sort_by(|a, b| {
        a.owner
            .to_lowercase()
            .cmp(&b.owner.to_lowercase())
            .then_with(|| a.name.cmp(&b.name))
    });
    let info = PageInfo::of_list(page, sorted.len(), per_page);
    let description = if sorted.is_empty() {
        "No vehicles are spawned right now.".to_owned()
    } else {
        let lines = sorted
            .get(info.range(per_page))
            .unwrap_or_default()
            .iter()
            .map(|v| vehicle_line(v));
        pack_lines(lines, MAX_DESCRIPTION)
    };
    let embed = Embed::new()
        .title(&format!("🚗 Vehicles ({})", vehicles.len()))
        .colour(colours::NEUTRAL)
        .description(&description)
        .footer(&plain_line(&format!("{label} · {}", info.label())));
    let buttons = page_buttons(label, PagedView::Vehicles, "", &info);
    (Message::single(embed, buttons), info)
}

/// `🟦 **2019 Falcon** · `RCP 118` · Navy · Avery_Cole`
fn vehicle_line(vehicle: &Vehicle) -> String {
    let swatch = vehicle
        .color_hex
        .as_deref()
        .and_then(swatch_of_hex)
        .unwrap_or("🚗");
    let mut line = format!("{swatch} **{}**", display_name(&vehicle.name));
    if let Some(plate) = vehicle.plate.as_deref().filter(|p| !p.trim().is_empty()) {
        line.push_str(&format!(" · {}", code_span(plate)));
    }
    let colour = vehicle
        .color_name
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or(vehicle.texture.as_deref().filter(|t| !t.trim().is_empty()));
    if let Some(colour) = colour {
        line.push_str(&format!(" · {}", display_name(colour)));
    }
    line.push_str(&format!(" · {}", display_name(&vehicle.owner)));
    line
}

/// The coloured square nearest to `#RRGGBB`, so a list shows each car's colour.
pub(crate) fn swatch_of_hex(hex: &str) -> Option<&'static str> {
    const PALETTE: [(&str, [i32; 3]); 9] = [
        ("🟥", [221, 46, 68]),
        ("🟧", [244, 144, 12]),
        ("🟨", [253, 203, 88]),
        ("🟩", [120, 177, 89]),
        ("🟦", [85, 172, 238]),
        ("🟪", [170, 142, 214]),
        ("🟫", [193, 105, 79]),
        ("⬛", [49, 55, 61]),
        ("⬜", [230, 231, 232]),
    ];
    let digits = hex.trim().trim_start_matches('#');
    if digits.len() != 6 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let value = u32::from_str_radix(digits, 16).ok()?;
    let rgb = [
        ((value >> 16) & 0xFF) as i32,
        ((value >> 8) & 0xFF) as i32,
        (value & 0xFF) as i32,
    ];
    PALETTE
        .iter()
        .min_by_key(|(_, p)| (0..3).map(|i| (p[i] - rgb[i]).pow(2)).sum::<i32>())
        .map(|(swatch, _)| *swatch)
}

/// `/bans`: banned users by name, with profile links and ids.
pub fn bans_page(label: &str, bans: &Bans, page: usize, per_page: usize) -> (Message, PageInfo) {
    let mut sorted: Vec<(&u64, &String)> = bans.iter().collect();
    sorted.sort_by_key(|(id, name)| (name.to_lowercase(), **id));
    let info = PageInfo::of_list(page, sorted.len(), per_page);
    let description = if sorted.is_empty() {
        "Nobody is banned from this server.".to_owned()
    } else {
        let lines = sorted
            .get(info.range(per_page))
            .unwrap_or_default()
            .iter()
            .map(|(id, name)| format!("🔨 {} · `{id}`", name_link(name, Some(**id))));
        pack_lines(lines, MAX_DESCRIPTION)
    };
    let embed = Embed::new()
        .title(&format!("🔨 Bans ({})", bans.len()))
        .colour(colours::DANGER)
        .description(&description)
        .footer(&plain_line(&format!("{label} · {}", info.label())));
    let buttons = page_buttons(label, PagedView::Bans, "", &info);
    (Message::single(embed, buttons), info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swatches_pick_the_nearest_colour() {
        assert_eq!(swatch_of_hex("#DD2E44"), Some("🟥"));
        assert_eq!(swatch_of_hex("1F2A44"), Some("⬛"));
        assert_eq!(swatch_of_hex("#FFFFFF"), Some("⬜"));
        assert_eq!(swatch_of_hex("#3A7BD5"), Some("🟦"));
        assert_eq!(swatch_of_hex("#12345"), None);
        assert_eq!(swatch_of_hex("#GGGGGG"), None);
        assert_eq!(swatch_of_hex("#ÉÉÉ"), None);
    }
}
