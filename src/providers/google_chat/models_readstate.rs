//! The read-state resources of the Chat API (`users.spaces.spaceReadState`): when the
//! signed-in person last read a space, which is what "unread" is measured from.

use serde::{Deserialize, Serialize};

/// `users/{user}/spaces/{space}/spaceReadState`. `lastReadTime` is absent when the person
/// has never read the space.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SpaceReadState {
    pub name: Option<String>,
    pub last_read_time: Option<String>,
}
