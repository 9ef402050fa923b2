//! The seeded workspace: Acme's Slack (`acme.slack.com`), who is in it and which
//! conversations they share.
//!
//! Ids are fixed so tests and the demo can name them; the history is generated from them by
//! `seed`, relative to the emulator's start. The signed-in user by default is Alex Rivera.
//! Two channels exclude Alex (one public, one private) and one DM is between two others, so
//! visibility (`channel_not_found`, `not_in_channel`, `is_member: false`) can be tested; one
//! public channel is archived and one person deactivated.

use super::state::{ConvKind, Team, User};

pub const TEAM: Team = Team {
    id: "T05ACME001",
    name: "Acme",
    domain: "acme",
    email_domain: "example.com",
};

pub const ALEX: &str = "U01ALEXRIV";
pub const PRIYA: &str = "U02PRIYANT";
pub const MARCUS: &str = "U03MARCUSC";
pub const SOFIA: &str = "U04SOFIALQ";
pub const DANIEL: &str = "U05DANIELO";
pub const HANNAH: &str = "U06HANNAHB";
pub const TOMAS: &str = "U07TOMASGR";
pub const YUKI: &str = "U08YUKITNK";
/// Deactivated (`deleted: true`); still the author of old messages.
pub const OLIVER: &str = "U09OLIVERD";
pub const SLACKBOT: &str = "USLACKBOT";

/// The default signed-in user.
pub const PRIMARY_USER: &str = ALEX;
pub const PRIMARY_EMAIL: &str = "alex.rivera@example.com";

/// `(id, handle, first, last, display name, title, tz, admin)` of each person.
type Person = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    bool,
);

const PEOPLE: &[Person] = &[
    (
        ALEX,
        "alex.rivera",
        "Alex",
        "Rivera",
        "Alex",
        "Staff Engineer",
        0,
        false,
    ),
    (
        PRIYA,
        "priya.natarajan",
        "Priya",
        "Natarajan",
        "priya",
        "Engineering Manager",
        1,
        true,
    ),
    (
        MARCUS,
        "marcus.chen",
        "Marcus",
        "Chen",
        "marcus",
        "Site Reliability Engineer",
        2,
        false,
    ),
    (
        SOFIA,
        "sofia.lindqvist",
        "Sofia",
        "Lindqvist",
        "sofia.l",
        "Product Designer",
        3,
        false,
    ),
    (
        DANIEL,
        "daniel.okafor",
        "Daniel",
        "Okafor",
        "dokafor",
        "Head of Sales",
        1,
        false,
    ),
    (
        HANNAH,
        "hannah.becker",
        "Hannah",
        "Becker",
        "hannah",
        "People Operations",
        3,
        false,
    ),
    (
        TOMAS,
        "tomas.garcia",
        "Tomás",
        "García",
        "tomás",
        "Account Executive",
        4,
        false,
    ),
    (
        YUKI,
        "yuki.tanaka",
        "Yuki",
        "Tanaka",
        "yuki",
        "Backend Engineer",
        5,
        false,
    ),
    (
        OLIVER,
        "oliver.dunn",
        "Oliver",
        "Dunn",
        "oliver",
        "Contractor",
        0,
        false,
    ),
];

/// `(tz, tz_label, tz_offset)` for the people above.
const ZONES: &[(&str, &str, i64)] = &[
    ("America/Los_Angeles", "Pacific Standard Time", -28800),
    ("America/New_York", "Eastern Standard Time", -18000),
    ("America/Chicago", "Central Standard Time", -21600),
    ("Europe/Stockholm", "Central European Time", 3600),
    ("Europe/Madrid", "Central European Time", 3600),
    ("Asia/Tokyo", "Japan Standard Time", 32400),
];

const COLORS: &[&str] = &[
    "9f69e7", "4bbe2e", "e7392d", "3c989f", "674b1b", "e96699", "e0a729", "5b89d5", "684b6c",
];

/// The seeded directory (Slackbot included, as users.list returns it).
pub fn users() -> Vec<User> {
    let mut out: Vec<User> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (id, handle, first, last, display, title, zone, admin) = *p;
            let (tz, tz_label, tz_offset) = ZONES[zone];
            User {
                id: id.to_string(),
                name: handle.to_string(),
                real_name: format!("{first} {last}"),
                display_name: display.to_string(),
                first_name: first.to_string(),
                last_name: last.to_string(),
                email: format!("{handle}@{}", TEAM.email_domain),
                title: title.to_string(),
                tz,
                tz_label,
                tz_offset,
                color: COLORS[i % COLORS.len()],
                is_admin: admin,
                is_owner: id == PRIYA,
                is_bot: false,
                deleted: id == OLIVER,
                status_text: match id {
                    MARCUS => "On call".to_string(),
                    SOFIA => "Out sick".to_string(),
                    _ => String::new(),
                },
                status_emoji: match id {
                    MARCUS => ":pager:".to_string(),
                    SOFIA => ":face_with_thermometer:".to_string(),
                    _ => String::new(),
                },
            }
        })
        .collect();
    out.push(User {
        id: SLACKBOT.to_string(),
        name: "slackbot".to_string(),
        real_name: "Slackbot".to_string(),
        display_name: "Slackbot".to_string(),
        first_name: "slackbot".to_string(),
        last_name: String::new(),
        email: String::new(),
        title: String::new(),
        tz: "America/Los_Angeles",
        tz_label: "Pacific Standard Time",
        tz_offset: -28800,
        color: "757575",
        is_admin: false,
        is_owner: false,
        is_bot: false,
        deleted: false,
        status_text: String::new(),
        status_emoji: String::new(),
    });
    out
}

/// What kind of talk a conversation's generated history has (`corpus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    General,
    Engineering,
    Incidents,
    Random,
    Design,
    Project,
    Leadership,
    Sales,
    Direct,
    Planning,
}

/// A seeded conversation.
#[derive(Debug, Clone, Copy)]
pub struct SeedConv {
    pub id: &'static str,
    pub kind: ConvKind,
    pub name: &'static str,
    pub topic_line: &'static str,
    pub purpose: &'static str,
    pub topic: Topic,
    pub archived: bool,
    pub general: bool,
    /// Members; the first created it.
    pub members: &'static [&'static str],
    /// Top-level messages per weekday (weekends get fewer).
    pub per_day: u32,
    /// Messages at the end the primary user has not read (their `last_read` sits before).
    pub unread: usize,
}

pub const GENERAL: &str = "C01GENERAL";
pub const ENG: &str = "C02ENGINEER";
pub const INCIDENTS: &str = "C03INCIDENT";
pub const RANDOM: &str = "C04RANDOM";
/// Public; Alex is not a member.
pub const DESIGN: &str = "C05DESIGN";
/// Public and archived.
pub const PHOENIX: &str = "C06PHOENIX";
/// Private, with Alex.
pub const LEADERSHIP: &str = "G07LEADERS";
/// Private, without Alex: invisible to them.
pub const SALES_DEALS: &str = "C08SALESDL";
pub const DM_ALEX_PRIYA: &str = "D09ALEXPRI";
pub const DM_ALEX_MARCUS: &str = "D0AALEXMAR";
/// Between Priya and Sofia: invisible to Alex.
pub const DM_PRIYA_SOFIA: &str = "D0BPRISOFI";
/// Group DM of Alex, Priya and Marcus.
pub const MPIM_LAUNCH: &str = "G0CLAUNCHM";

const ALL: &[&str] = &[ALEX, PRIYA, MARCUS, SOFIA, DANIEL, HANNAH, TOMAS, YUKI];

pub static CONVERSATIONS: &[SeedConv] = &[
    SeedConv {
        id: GENERAL,
        kind: ConvKind::Public,
        name: "general",
        topic_line: "Company-wide announcements",
        purpose: "This is the one channel that will always include everyone.",
        topic: Topic::General,
        archived: false,
        general: true,
        members: ALL,
        per_day: 1,
        unread: 1,
    },
    SeedConv {
        id: ENG,
        kind: ConvKind::Public,
        name: "eng",
        topic_line: "Release 2.14 freeze on Friday",
        purpose: "Backend, infrastructure and release coordination",
        topic: Topic::Engineering,
        archived: false,
        general: false,
        members: &[PRIYA, ALEX, MARCUS, YUKI, SOFIA, OLIVER],
        per_day: 5,
        unread: 4,
    },
    SeedConv {
        id: INCIDENTS,
        kind: ConvKind::Public,
        name: "incidents",
        topic_line: "SEV2: none open",
        purpose: "Production incidents, alerts and postmortems",
        topic: Topic::Incidents,
        archived: false,
        general: false,
        members: &[MARCUS, ALEX, PRIYA, YUKI, DANIEL],
        per_day: 2,
        unread: 0,
    },
    SeedConv {
        id: RANDOM,
        kind: ConvKind::Public,
        name: "random",
        topic_line: "",
        purpose: "Water cooler",
        topic: Topic::Random,
        archived: false,
        general: false,
        members: ALL,
        per_day: 2,
        unread: 3,
    },
    SeedConv {
        id: DESIGN,
        kind: ConvKind::Public,
        name: "design-reviews",
        topic_line: "Crit every Thursday",
        purpose: "Design docs and UI reviews",
        topic: Topic::Design,
        archived: false,
        general: false,
        members: &[SOFIA, HANNAH, TOMAS, PRIYA],
        per_day: 1,
        unread: 0,
    },
    SeedConv {
        id: PHOENIX,
        kind: ConvKind::Public,
        name: "proj-phoenix",
        topic_line: "Shipped!",
        purpose: "The 2023 billing rewrite",
        topic: Topic::Project,
        archived: true,
        general: false,
        members: &[OLIVER, ALEX, MARCUS],
        per_day: 1,
        unread: 0,
    },
    SeedConv {
        id: LEADERSHIP,
        kind: ConvKind::Private,
        name: "leadership",
        topic_line: "",
        purpose: "Managers and leads",
        topic: Topic::Leadership,
        archived: false,
        general: false,
        members: &[PRIYA, ALEX, DANIEL, HANNAH],
        per_day: 1,
        unread: 1,
    },
    SeedConv {
        id: SALES_DEALS,
        kind: ConvKind::Private,
        name: "sales-deals",
        topic_line: "",
        purpose: "Pipeline and forecast",
        topic: Topic::Sales,
        archived: false,
        general: false,
        members: &[DANIEL, TOMAS, HANNAH],
        per_day: 1,
        unread: 0,
    },
    SeedConv {
        id: DM_ALEX_PRIYA,
        kind: ConvKind::Im,
        name: "",
        topic_line: "",
        purpose: "",
        topic: Topic::Direct,
        archived: false,
        general: false,
        members: &[ALEX, PRIYA],
        per_day: 2,
        unread: 2,
    },
    SeedConv {
        id: DM_ALEX_MARCUS,
        kind: ConvKind::Im,
        name: "",
        topic_line: "",
        purpose: "",
        topic: Topic::Direct,
        archived: false,
        general: false,
        members: &[ALEX, MARCUS],
        per_day: 1,
        unread: 0,
    },
    SeedConv {
        id: DM_PRIYA_SOFIA,
        kind: ConvKind::Im,
        name: "",
        topic_line: "",
        purpose: "",
        topic: Topic::Direct,
        archived: false,
        general: false,
        members: &[PRIYA, SOFIA],
        per_day: 1,
        unread: 0,
    },
    SeedConv {
        id: MPIM_LAUNCH,
        kind: ConvKind::Mpim,
        name: "mpdm-alex.rivera--priya.natarajan--marcus.chen-1",
        topic_line: "",
        purpose: "Group messaging",
        topic: Topic::Planning,
        archived: false,
        general: false,
        members: &[ALEX, PRIYA, MARCUS],
        per_day: 1,
        unread: 1,
    },
];

/// Custom emoji the team added (accepted by reactions.add beside the standard names).
pub const CUSTOM_EMOJI: &[&str] = &["shipit", "partyparrot", "this-is-fine", "acme"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_slacks() {
        let ok = |id: &str| {
            id.len() >= 9
                && id
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        for u in users() {
            assert!(ok(&u.id) && u.id.starts_with('U'), "{}", u.id);
        }
        for c in CONVERSATIONS {
            assert!(ok(c.id), "{}", c.id);
            let prefix = match c.kind {
                ConvKind::Im => "D",
                ConvKind::Mpim => "G",
                ConvKind::Private => "",
                ConvKind::Public => "C",
            };
            assert!(c.id.starts_with(prefix), "{}", c.id);
            assert!(c.members.contains(&c.members[0]));
            if c.kind == ConvKind::Im {
                assert_eq!(c.members.len(), 2);
            }
        }
        assert!(ok(TEAM.id) && TEAM.id.starts_with('T'));
    }
}
