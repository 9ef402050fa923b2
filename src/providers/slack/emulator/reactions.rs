//! reactions.add, reactions.remove and reactions.get on messages.
//!
//! Names are Slack's emoji names without colons (`tada`, `+1`, `+1::skin-tone-3`); a name
//! with colons or one Slack does not know is `invalid_name`. Aliases are stored under Slack's
//! canonical name (`thumbsup` is `+1`). Reacting twice is `already_reacted`, removing a
//! reaction the caller did not add `no_reaction`; a message holds at most 23 distinct
//! reactions. Without `full=true` reactions.get lists at most ten users per reaction.

use serde_json::{Map, json};

use super::data::CUSTOM_EMOJI;
use super::errors::{ApiResult, SlackError};
use super::render;
use super::server::Call;
use super::state::{Reaction, Ts};

const MAX_DISTINCT: usize = 23;

/// Standard emoji names Slack knows (the common part of its list), canonical forms.
const STANDARD: &[&str] = &[
    "+1",
    "-1",
    "100",
    "1234",
    "8ball",
    "a",
    "ab",
    "abc",
    "airplane",
    "alarm_clock",
    "alien",
    "ambulance",
    "anchor",
    "angel",
    "anger",
    "angry",
    "anguished",
    "apple",
    "arrow_down",
    "arrow_left",
    "arrow_right",
    "arrow_up",
    "art",
    "astonished",
    "avocado",
    "baby",
    "balloon",
    "bangbang",
    "bar_chart",
    "baseball",
    "basketball",
    "bath",
    "battery",
    "beer",
    "beers",
    "bell",
    "bike",
    "birthday",
    "black_heart",
    "blue_heart",
    "blush",
    "bomb",
    "book",
    "books",
    "boom",
    "bow",
    "brain",
    "bread",
    "briefcase",
    "broken_heart",
    "bug",
    "bulb",
    "bus",
    "cake",
    "calendar",
    "calling",
    "camera",
    "camera_with_flash",
    "car",
    "cat",
    "champagne",
    "chart_with_downwards_trend",
    "chart_with_upwards_trend",
    "cheese_wedge",
    "cherries",
    "chicken",
    "christmas_tree",
    "clap",
    "clapper",
    "clipboard",
    "clock1",
    "closed_lock_with_key",
    "cloud",
    "clown_face",
    "coffee",
    "cold_sweat",
    "computer",
    "confetti_ball",
    "confounded",
    "confused",
    "construction",
    "cookie",
    "cool",
    "cop",
    "copyright",
    "crab",
    "crossed_fingers",
    "crown",
    "cry",
    "crying_cat_face",
    "crystal_ball",
    "cupid",
    "dancer",
    "dart",
    "dash",
    "date",
    "disappointed",
    "disappointed_relieved",
    "dizzy",
    "dizzy_face",
    "dog",
    "dollar",
    "door",
    "doughnut",
    "dragon",
    "droplet",
    "ear",
    "earth_africa",
    "earth_americas",
    "egg",
    "eight",
    "eggplant",
    "email",
    "envelope",
    "exclamation",
    "expressionless",
    "eyeglasses",
    "eyes",
    "face_palm",
    "face_with_rolling_eyes",
    "face_with_thermometer",
    "facepunch",
    "fearful",
    "fire",
    "fireworks",
    "first_place_medal",
    "fish",
    "fist",
    "five",
    "flags",
    "flushed",
    "four",
    "four_leaf_clover",
    "frowning",
    "fuelpump",
    "full_moon",
    "game_die",
    "gear",
    "gem",
    "ghost",
    "gift",
    "gift_heart",
    "golf",
    "grapes",
    "green_heart",
    "grey_exclamation",
    "grey_question",
    "grimacing",
    "grin",
    "grinning",
    "guitar",
    "hamburger",
    "hammer",
    "hammer_and_wrench",
    "hand",
    "handshake",
    "hankey",
    "hash",
    "hatching_chick",
    "headphones",
    "hear_no_evil",
    "heart",
    "heart_eyes",
    "heartbeat",
    "heartpulse",
    "heavy_check_mark",
    "heavy_minus_sign",
    "heavy_multiplication_x",
    "heavy_plus_sign",
    "hibiscus",
    "high_brightness",
    "hocho",
    "honey_pot",
    "horse",
    "hotel",
    "hourglass",
    "hourglass_flowing_sand",
    "house",
    "hugging_face",
    "hushed",
    "ice_cream",
    "imp",
    "inbox_tray",
    "information_source",
    "innocent",
    "interrobang",
    "jack_o_lantern",
    "joy",
    "joy_cat",
    "key",
    "keyboard",
    "kiss",
    "kissing",
    "kissing_heart",
    "koala",
    "label",
    "ladybug",
    "laptop",
    "large_blue_circle",
    "large_green_circle",
    "laughing",
    "leaves",
    "ledger",
    "left_speech_bubble",
    "lemon",
    "link",
    "lipstick",
    "lock",
    "lollipop",
    "loudspeaker",
    "love_letter",
    "mag",
    "mag_right",
    "mailbox",
    "man_shrugging",
    "mask",
    "medal",
    "mega",
    "memo",
    "microphone",
    "milky_way",
    "money_mouth_face",
    "money_with_wings",
    "moneybag",
    "monkey",
    "monkey_face",
    "moon",
    "mortar_board",
    "mountain",
    "muscle",
    "mushroom",
    "musical_note",
    "nail_care",
    "necktie",
    "nerd_face",
    "neutral_face",
    "new",
    "newspaper",
    "nine",
    "no_entry",
    "no_entry_sign",
    "no_good",
    "no_mouth",
    "nose",
    "notebook",
    "ocean",
    "octopus",
    "ok",
    "ok_hand",
    "ok_woman",
    "one",
    "open_book",
    "open_mouth",
    "orange_heart",
    "outbox_tray",
    "owl",
    "package",
    "page_facing_up",
    "pager",
    "palm_tree",
    "panda_face",
    "paperclip",
    "partly_sunny",
    "partying_face",
    "peach",
    "pencil",
    "pencil2",
    "penguin",
    "pensive",
    "persevere",
    "person_frowning",
    "phone",
    "pig",
    "pill",
    "pineapple",
    "pizza",
    "point_down",
    "point_left",
    "point_right",
    "point_up",
    "police_car",
    "poop",
    "popcorn",
    "pouting_cat",
    "pray",
    "purple_heart",
    "pushpin",
    "question",
    "rabbit",
    "rage",
    "railway_car",
    "rainbow",
    "raised_hand",
    "raised_hands",
    "raising_hand",
    "ramen",
    "recycle",
    "red_circle",
    "relaxed",
    "relieved",
    "repeat",
    "revolving_hearts",
    "rewind",
    "ribbon",
    "ring",
    "robot_face",
    "rocket",
    "rolling_on_the_floor_laughing",
    "rose",
    "rotating_light",
    "runner",
    "sandwich",
    "santa",
    "satellite",
    "satisfied",
    "scream",
    "scream_cat",
    "second_place_medal",
    "see_no_evil",
    "seedling",
    "seven",
    "shamrock",
    "shield",
    "ship",
    "shrug",
    "six",
    "skull",
    "sleeping",
    "sleepy",
    "slightly_frowning_face",
    "slightly_smiling_face",
    "slot_machine",
    "smile",
    "smile_cat",
    "smiley",
    "smiley_cat",
    "smiling_imp",
    "smirk",
    "smirk_cat",
    "snail",
    "snake",
    "sneezing_face",
    "snowflake",
    "snowman",
    "sob",
    "soccer",
    "sparkle",
    "sparkles",
    "sparkling_heart",
    "speak_no_evil",
    "speech_balloon",
    "spiral_calendar_pad",
    "star",
    "star-struck",
    "star2",
    "stars",
    "stopwatch",
    "stuck_out_tongue",
    "stuck_out_tongue_closed_eyes",
    "stuck_out_tongue_winking_eye",
    "sun_with_face",
    "sunflower",
    "sunglasses",
    "sunny",
    "sunrise",
    "sweat",
    "sweat_drops",
    "sweat_smile",
    "taco",
    "tada",
    "tea",
    "telephone",
    "tennis",
    "tent",
    "the_horns",
    "thinking_face",
    "third_place_medal",
    "thought_balloon",
    "three",
    "thumbsdown",
    "thumbsup",
    "ticket",
    "tiger",
    "timer_clock",
    "tired_face",
    "tm",
    "toilet",
    "tomato",
    "tongue",
    "tophat",
    "tractor",
    "traffic_light",
    "train",
    "trophy",
    "truck",
    "trumpet",
    "tulip",
    "turtle",
    "tv",
    "two",
    "two_hearts",
    "umbrella",
    "unamused",
    "unicorn_face",
    "unlock",
    "upside_down_face",
    "v",
    "vertical_traffic_light",
    "video_camera",
    "volcano",
    "warning",
    "watch",
    "watermelon",
    "wave",
    "waving_white_flag",
    "weary",
    "white_check_mark",
    "white_circle",
    "white_heart",
    "wine_glass",
    "wink",
    "wolf",
    "woman_shrugging",
    "worried",
    "wrench",
    "x",
    "yellow_heart",
    "yum",
    "zany_face",
    "zap",
    "zero",
    "zipper_mouth_face",
    "zzz",
];

/// `(alias, canonical)`: Slack stores reactions under the canonical name.
const ALIASES: &[(&str, &str)] = &[
    ("thumbsup", "+1"),
    ("thumbsdown", "-1"),
    ("satisfied", "laughing"),
    ("poop", "hankey"),
    ("shit", "hankey"),
    ("punch", "facepunch"),
    ("hand", "raised_hand"),
    ("simple_smile", "slightly_smiling_face"),
];

/// The canonical stored name, or `invalid_name`.
pub fn canonical(name: &str) -> Result<String, SlackError> {
    let invalid = || SlackError::new("invalid_name");
    if name.is_empty() || name.starts_with(':') || name.ends_with(':') && !name.contains("::") {
        return Err(invalid());
    }
    let (base, tone) = match name.split_once("::") {
        Some((b, t)) => {
            let ok = t
                .strip_prefix("skin-tone-")
                .is_some_and(|n| matches!(n, "2" | "3" | "4" | "5" | "6"));
            if !ok {
                return Err(invalid());
            }
            (b, Some(t))
        }
        None => (name, None),
    };
    let base = ALIASES
        .iter()
        .find(|(alias, _)| *alias == base)
        .map(|(_, c)| *c)
        .unwrap_or(base);
    if !STANDARD.contains(&base) && !CUSTOM_EMOJI.contains(&base) {
        return Err(invalid());
    }
    Ok(match tone {
        Some(t) => format!("{base}::{t}"),
        None => base.to_string(),
    })
}

/// `(conversation id, message ts, canonical name)` of a reactions.add / .remove call.
fn item(call: &Call) -> Result<(String, Ts, String), SlackError> {
    let (Some(channel), Some(ts)) = (call.args.text("channel"), call.args.text("timestamp")) else {
        return Err(SlackError::new("no_item_specified"));
    };
    let name = canonical(&call.args.text("name").unwrap_or_default())?;
    let conv = call
        .st
        .ws
        .conv(&channel)
        .filter(|c| c.visible_to(call.user()))
        .ok_or_else(|| SlackError::new("channel_not_found"))?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("message_not_found"))?;
    call.st
        .ws
        .message(&conv.id, ts)
        .filter(|m| !m.tombstone)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    Ok((conv.id.clone(), ts, name))
}

pub fn add(call: &mut Call) -> ApiResult {
    let (conv, ts, name) = item(call)?;
    let user = call.user().to_string();
    let msg = call
        .st
        .ws
        .message_mut(&conv, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let distinct = msg.reactions.len();
    match msg.reactions.iter_mut().find(|r| r.name == name) {
        Some(r) if r.users.contains(&user) => return Err(SlackError::new("already_reacted")),
        Some(r) => r.users.push(user),
        None if distinct >= MAX_DISTINCT => {
            return Err(SlackError::new("too_many_reactions"));
        }
        None => msg.reactions.push(Reaction {
            name,
            users: vec![user],
        }),
    }
    Ok(Map::new())
}

pub fn remove(call: &mut Call) -> ApiResult {
    let (conv, ts, name) = item(call)?;
    let user = call.user().to_string();
    let msg = call
        .st
        .ws
        .message_mut(&conv, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let Some(r) = msg
        .reactions
        .iter_mut()
        .find(|r| r.name == name && r.users.contains(&user))
    else {
        return Err(SlackError::new("no_reaction"));
    };
    r.users.retain(|u| *u != user);
    msg.reactions.retain(|r| !r.users.is_empty());
    Ok(Map::new())
}

pub fn get(call: &mut Call) -> ApiResult {
    let (Some(channel), Some(ts)) = (call.args.text("channel"), call.args.text("timestamp")) else {
        return Err(SlackError::new("no_item_specified"));
    };
    let full = call.args.flag("full");
    let ws = &call.st.ws;
    let conv = ws
        .conv(&channel)
        .filter(|c| c.visible_to(call.user()))
        .ok_or_else(|| SlackError::new("channel_not_found"))?;
    let ts = Ts::parse(&ts).ok_or_else(|| SlackError::new("message_not_found"))?;
    let msg = ws
        .message(&conv.id, ts)
        .ok_or_else(|| SlackError::new("message_not_found"))?;
    let mut m = Map::new();
    m.insert("type".into(), json!("message"));
    m.insert("text".into(), json!(msg.text));
    m.insert("user".into(), json!(msg.user));
    m.insert("ts".into(), json!(msg.ts.to_string()));
    m.insert("team".into(), json!(super::data::TEAM.id));
    if !msg.reactions.is_empty() {
        m.insert("reactions".into(), render::reactions(msg, full));
    }
    m.insert("permalink".into(), json!(render::permalink(&conv.id, msg)));
    let mut out = Map::new();
    out.insert("type".into(), json!("message"));
    out.insert("channel".into(), json!(conv.id));
    out.insert("message".into(), serde_json::Value::Object(m));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(canonical("tada").unwrap(), "tada");
        assert_eq!(canonical("thumbsup").unwrap(), "+1");
        assert_eq!(canonical("+1::skin-tone-3").unwrap(), "+1::skin-tone-3");
        assert_eq!(canonical("shipit").unwrap(), "shipit");
        for bad in [":tada:", "tada:", "", "not_an_emoji", "+1::skin-tone-9"] {
            assert_eq!(canonical(bad).unwrap_err().error, "invalid_name", "{bad}");
        }
    }
}
