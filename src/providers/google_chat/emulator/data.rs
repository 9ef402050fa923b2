//! The seeded organisation: who works at example.com and which spaces they share.
//!
//! Ids are fixed so tests and the demo can name them; message history is generated from them
//! by `seed`. The primary user (the default signed-in account) is Alex Rivera. Two spaces
//! exclude Alex so that visibility rules ("callers only see spaces they belong to") can be
//! tested, and the DMs have no display name, as Google returns them.

use super::state::{Role, SpaceKind};

/// A person in the seeded directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedUser {
    /// Numeric id: Chat `users/{id}` is People `people/{id}`.
    pub id: &'static str,
    pub given: &'static str,
    pub family: &'static str,
    pub email: &'static str,
}

impl SeedUser {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.given, self.family)
    }

    /// `users/{id}`.
    pub fn chat_name(&self) -> String {
        format!("users/{}", self.id)
    }

    /// A stable avatar URL in the shape Google serves.
    pub fn picture(&self) -> String {
        format!(
            "https://lh3.googleusercontent.com/a/emulator-{}=s96-c",
            self.id
        )
    }
}

pub const ALEX: &str = "114503258279116830001";
pub const PRIYA: &str = "102938475610293847562";
pub const MARCUS: &str = "117744120938475610233";
pub const SOFIA: &str = "109283746501928374654";
pub const DANIEL: &str = "111827364519283746505";
pub const HANNAH: &str = "106372819405837261946";
pub const TOMAS: &str = "118273645091827364537";
pub const YUKI: &str = "103847561029384756128";

/// The default signed-in user.
pub const PRIMARY_USER: &str = ALEX;
pub const PRIMARY_EMAIL: &str = "alex.rivera@example.com";

pub static USERS: &[SeedUser] = &[
    SeedUser {
        id: ALEX,
        given: "Alex",
        family: "Rivera",
        email: PRIMARY_EMAIL,
    },
    SeedUser {
        id: PRIYA,
        given: "Priya",
        family: "Natarajan",
        email: "priya.natarajan@example.com",
    },
    SeedUser {
        id: MARCUS,
        given: "Marcus",
        family: "Chen",
        email: "marcus.chen@example.com",
    },
    SeedUser {
        id: SOFIA,
        given: "Sofia",
        family: "Lindqvist",
        email: "sofia.lindqvist@example.com",
    },
    SeedUser {
        id: DANIEL,
        given: "Daniel",
        family: "Okafor",
        email: "daniel.okafor@example.com",
    },
    SeedUser {
        id: HANNAH,
        given: "Hannah",
        family: "Becker",
        email: "hannah.becker@example.com",
    },
    SeedUser {
        id: TOMAS,
        given: "Tomás",
        family: "García",
        email: "tomas.garcia@example.com",
    },
    SeedUser {
        id: YUKI,
        given: "Yuki",
        family: "Tanaka",
        email: "yuki.tanaka@example.com",
    },
];

/// What kind of talk a space's generated history has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Engineering,
    Incidents,
    Design,
    Random,
    Sales,
    Planning,
    Direct,
}

/// A seeded space.
#[derive(Debug, Clone, Copy)]
pub struct SeedSpace {
    pub id: &'static str,
    pub kind: SpaceKind,
    pub display_name: Option<&'static str>,
    pub description: Option<&'static str>,
    pub topic: Topic,
    /// Members with their roles; the first is the creator.
    pub members: &'static [(&'static str, Role)],
    /// Threads started per weekday (weekends get fewer).
    pub threads_per_day: u32,
    /// Messages in the space the primary user has not read yet (a few from the end).
    pub unread_for_primary: usize,
}

pub const ENGINEERING: &str = "AAAAh7Kq2Lw";
pub const INCIDENTS: &str = "AAAAr4NcXy0";
pub const DESIGN_REVIEWS: &str = "AAAAd9Sg3Vb";
pub const RANDOM: &str = "AAAAm2Tz8Qe";
pub const SALES_LEADERSHIP: &str = "AAAAs5Pf1Jd";
pub const LAUNCH_GROUP_CHAT: &str = "AAAAg6Wb4Hn";
pub const DM_ALEX_PRIYA: &str = "AAAAp1Dm7Ra";
pub const DM_ALEX_MARCUS: &str = "AAAAc3Dm5Mx";
pub const DM_PRIYA_SOFIA: &str = "AAAAf8Dm2Ps";

use Role::{Manager as M, Member as U};

pub static SPACES: &[SeedSpace] = &[
    SeedSpace {
        id: ENGINEERING,
        kind: SpaceKind::Space,
        display_name: Some("Engineering"),
        description: Some("Backend, infrastructure and release coordination"),
        topic: Topic::Engineering,
        members: &[
            (ALEX, M),
            (PRIYA, M),
            (MARCUS, U),
            (SOFIA, U),
            (DANIEL, U),
            (HANNAH, U),
            (TOMAS, U),
            (YUKI, U),
        ],
        threads_per_day: 4,
        unread_for_primary: 5,
    },
    SeedSpace {
        id: INCIDENTS,
        kind: SpaceKind::Space,
        display_name: Some("Incidents"),
        description: Some("Production incidents, alerts and postmortems"),
        topic: Topic::Incidents,
        members: &[(PRIYA, M), (ALEX, U), (MARCUS, U), (DANIEL, U), (YUKI, U)],
        threads_per_day: 2,
        unread_for_primary: 0,
    },
    SeedSpace {
        id: DESIGN_REVIEWS,
        kind: SpaceKind::Space,
        display_name: Some("Design Reviews"),
        description: Some("Design docs and UI reviews"),
        topic: Topic::Design,
        members: &[(SOFIA, M), (ALEX, U), (HANNAH, U), (TOMAS, U), (PRIYA, U)],
        threads_per_day: 1,
        unread_for_primary: 2,
    },
    SeedSpace {
        id: RANDOM,
        kind: SpaceKind::Space,
        display_name: Some("Random"),
        description: Some("Water cooler"),
        topic: Topic::Random,
        members: &[
            (HANNAH, M),
            (ALEX, U),
            (PRIYA, U),
            (MARCUS, U),
            (SOFIA, U),
            (DANIEL, U),
            (TOMAS, U),
            (YUKI, U),
        ],
        threads_per_day: 2,
        unread_for_primary: 8,
    },
    SeedSpace {
        id: SALES_LEADERSHIP,
        kind: SpaceKind::Space,
        display_name: Some("Sales Leadership"),
        description: Some("Pipeline and forecast"),
        topic: Topic::Sales,
        members: &[(DANIEL, M), (HANNAH, U), (TOMAS, U)],
        threads_per_day: 1,
        unread_for_primary: 0,
    },
    SeedSpace {
        id: LAUNCH_GROUP_CHAT,
        kind: SpaceKind::GroupChat,
        display_name: None,
        description: None,
        topic: Topic::Planning,
        members: &[(ALEX, U), (PRIYA, U), (MARCUS, U)],
        threads_per_day: 2,
        unread_for_primary: 1,
    },
    SeedSpace {
        id: DM_ALEX_PRIYA,
        kind: SpaceKind::DirectMessage,
        display_name: None,
        description: None,
        topic: Topic::Direct,
        members: &[(ALEX, U), (PRIYA, U)],
        threads_per_day: 2,
        unread_for_primary: 2,
    },
    SeedSpace {
        id: DM_ALEX_MARCUS,
        kind: SpaceKind::DirectMessage,
        display_name: None,
        description: None,
        topic: Topic::Direct,
        members: &[(ALEX, U), (MARCUS, U)],
        threads_per_day: 1,
        unread_for_primary: 0,
    },
    SeedSpace {
        id: DM_PRIYA_SOFIA,
        kind: SpaceKind::DirectMessage,
        display_name: None,
        description: None,
        topic: Topic::Direct,
        members: &[(PRIYA, U), (SOFIA, U)],
        threads_per_day: 1,
        unread_for_primary: 0,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_googles() {
        for u in USERS {
            assert_eq!(u.id.len(), 21, "{}", u.id);
            assert!(u.id.starts_with('1') && u.id.bytes().all(|b| b.is_ascii_digit()));
            assert!(u.email.ends_with("@example.com"));
        }
        for s in SPACES {
            assert_eq!(s.id.len(), 11);
            assert!(s.id.starts_with("AAAA"));
            assert_eq!(s.display_name.is_some(), s.kind == SpaceKind::Space);
        }
    }
}
