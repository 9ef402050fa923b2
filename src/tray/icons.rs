//! The tray icons, embedded: one PNG per state, rendered from `icons/src/*.svg` by
//! `icons/render.sh`. macOS gets the black-and-alpha template version, which the menu bar
//! tints for light and dark mode; Linux and Windows get the coloured bubble, whose dark rim and
//! white glyph read on light and dark panels alike.

use super::model::IconState;

#[cfg(not(target_os = "macos"))]
fn png(state: IconState) -> &'static [u8] {
    match state {
        IconState::Ok => include_bytes!("../../icons/png/ok-64.png"),
        IconState::NeedsAttention => include_bytes!("../../icons/png/needs-attention-64.png"),
        IconState::Working => include_bytes!("../../icons/png/working-64.png"),
        IconState::Error => include_bytes!("../../icons/png/error-64.png"),
    }
}

#[cfg(target_os = "macos")]
fn png(state: IconState) -> &'static [u8] {
    match state {
        IconState::Ok => include_bytes!("../../icons/macos/ok-template.png"),
        IconState::NeedsAttention => {
            include_bytes!("../../icons/macos/needs-attention-template.png")
        }
        IconState::Working => include_bytes!("../../icons/macos/working-template.png"),
        IconState::Error => include_bytes!("../../icons/macos/error-template.png"),
    }
}

/// RGBA pixels, width and height of `state`'s icon.
pub fn rgba(state: IconState) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png(state)));
    // Palette, grey or 16-bit files become plain 8-bit samples.
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info()?;
    let mut pixels = vec![
        0;
        reader.output_buffer_size().ok_or_else(|| anyhow::anyhow!(
            "icon {} is too large",
            state.name()
        ))?
    ];
    let frame = reader.next_frame(&mut pixels)?;
    pixels.truncate(frame.buffer_size());
    anyhow::ensure!(
        frame.color_type == png::ColorType::Rgba,
        "icon {} is {:?}, not RGBA: run icons/render.sh",
        state.name(),
        frame.color_type
    );
    Ok((pixels, frame.width, frame.height))
}

/// The tray-icon form of `state`'s icon.
pub fn icon(state: IconState) -> anyhow::Result<tray_icon::Icon> {
    let (pixels, width, height) = rgba(state)?;
    Ok(tray_icon::Icon::from_rgba(pixels, width, height)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_decodes_to_a_distinct_square_icon() {
        let mut seen = Vec::new();
        for state in IconState::ALL {
            let (pixels, width, height) = rgba(state).unwrap();
            assert_eq!(width, height);
            assert_eq!(pixels.len(), (width * height * 4) as usize);
            assert!(
                !seen.contains(&pixels),
                "{} repeats another icon",
                state.name()
            );
            seen.push(pixels);
        }
    }
}
