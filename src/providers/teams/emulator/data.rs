//! The seeded organisation (Contoso), relative to now: five people, four chats (one-on-one,
//! a titled and an untitled group, a meeting), two teams with channels, and messages with the
//! things real ones carry (mentions, links, a file, reactions, a system event, channel posts
//! with replies). Tests name these ids.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::state::{Channel, Chat, Message, Org, Reaction, StoredFile, Team, User};

pub const TENANT_ID: &str = "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b";
pub const ME: &str = "7f3c1a52-9d4e-4b8a-a1c2-5e6f7a8b9c01";
pub const ME_EMAIL: &str = "alex.rivera@contoso.com";
pub const ANA: &str = "2b4d6f80-1a3c-4e5f-8a9b-0c1d2e3f4a52";
pub const BEN: &str = "3c5e7a91-2b4d-4f60-9bac-1d2e3f4a5b63";
pub const CHEN: &str = "4d6f8ba2-3c5e-4071-acbd-2e3f4a5b6c74";
pub const DANA: &str = "5e7a9cb3-4d6f-4182-bdce-3f4a5b6c7d85";

pub const CHAT_ANA: &str =
    "19:2b4d6f80-1a3c-4e5f-8a9b-0c1d2e3f4a52_7f3c1a52-9d4e-4b8a-a1c2-5e6f7a8b9c01@unq.gbl.spaces";
pub const CHAT_LAUNCH: &str = "19:0a1b2c3d4e5f60718293a4b5c6d7e8f9@thread.v2";
pub const CHAT_UNTITLED: &str = "19:f1e2d3c4b5a697887766554433221100@thread.v2";
pub const CHAT_MEETING: &str = "19:meeting_NjY4ZGYwOTktYjVmNi00ZjE4LWJhNTEtMWQ0@thread.v2";

pub const TEAM_ENG: &str = "8a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d";
pub const TEAM_DESIGN: &str = "9b2c3d4e-5f60-4b7c-8d9e-0f1a2b3c4d5e";
pub const ENG_GENERAL: &str = "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.tacv2";
pub const ENG_INCIDENTS: &str = "19:b2c3d4e5f60718293a4b5c6d7e8f90a1@thread.tacv2";
pub const ENG_RELEASES: &str = "19:c3d4e5f60718293a4b5c6d7e8f90a1b2@thread.tacv2";
pub const DESIGN_GENERAL: &str = "19:d4e5f60718293a4b5c6d7e8f90a1b2c3@thread.tacv2";

fn user(id: &str, name: &str, mail: &str, title: &str) -> User {
    User {
        id: id.into(),
        display_name: name.into(),
        mail: mail.into(),
        job_title: title.into(),
    }
}

fn message(org: &mut Org, from: &str, at: DateTime<Utc>, html: &str) -> Message {
    Message {
        id: org.next_id(at),
        from: from.into(),
        created: at,
        modified: at,
        edited: None,
        deleted: None,
        content_type: "html".into(),
        content: html.into(),
        subject: None,
        message_type: "message".into(),
        event: None,
        attachments: Vec::new(),
        mentions: Vec::new(),
        reactions: Vec::new(),
        replies: Vec::new(),
    }
}

fn mention_of_me(mut m: Message) -> Message {
    m.mentions.push((0, ME.into(), "Alex Rivera".into()));
    m
}

fn react(mut m: Message, emoji: &str, who: &str) -> Message {
    let at = m.created + Duration::minutes(3);
    m.reactions.push(Reaction {
        reaction_type: emoji.into(),
        user: who.into(),
        at,
    });
    m
}

/// The organisation as of `now`.
pub fn seed(now: DateTime<Utc>) -> Org {
    let mut org = Org {
        users: vec![
            user(ME, "Alex Rivera", ME_EMAIL, "Engineering Manager"),
            user(ANA, "Ana Lima", "ana.lima@contoso.com", "Staff Engineer"),
            user(BEN, "Ben Okafor", "ben.okafor@contoso.com", "SRE"),
            user(CHEN, "Chen Wei", "chen.wei@contoso.com", "Product Designer"),
            user(DANA, "Dana Kim", "dana.kim@contoso.com", "Product Manager"),
        ],
        ..Default::default()
    };
    let ago = |d: i64, h: i64| now - Duration::days(d) - Duration::hours(h);

    let checklist_url =
        "https://contoso.sharepoint.com/sites/launch/Shared%20Documents/checklist.docx";
    let notes_url = "https://contoso-my.sharepoint.com/personal/ana_lima_contoso_com/Documents/Microsoft%20Teams%20Chat%20Files/rollout-notes.txt";
    org.files.push(StoredFile {
        url: checklist_url.into(),
        content_type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            .into(),
        bytes: b"PK\x03\x04\x14\x00\x06\x00checklist".to_vec(),
        download_token: "d1checklist".into(),
    });
    org.files.push(StoredFile {
        url: notes_url.into(),
        content_type: "text/plain".into(),
        bytes: b"Rollout notes\n1. canary at 5%\n2. 50% after an hour\n".to_vec(),
        download_token: "d2rolloutnotes".into(),
    });

    // One-on-one with Ana.
    let mut notes = message(
        &mut org,
        ANA,
        ago(6, 1),
        "<p>My notes from the rollout</p><attachment id=\"7a1e0c55-2d4b-4f3e-9c8a-1b2c3d4e5f60\"></attachment>",
    );
    notes.attachments.push(json!({
        "id": "7a1e0c55-2d4b-4f3e-9c8a-1b2c3d4e5f60",
        "contentType": "reference",
        "contentUrl": notes_url,
        "content": null,
        "name": "rollout-notes.txt",
        "thumbnailUrl": null,
        "teamsAppId": null
    }));
    let mut ana = vec![
        message(
            &mut org,
            ANA,
            ago(6, 3),
            "<p>Morning! Did the payments-api canary finish?</p>",
        ),
        message(
            &mut org,
            ME,
            ago(6, 2),
            "<p>Yes, all green. Rolling out at noon.</p>",
        ),
        notes,
        message(
            &mut org,
            ANA,
            ago(2, 5),
            "<p>Can you review my design doc today?</p>",
        ),
        message(
            &mut org,
            ANA,
            ago(0, 2),
            "<p>Thanks for the review &amp; the notes 🙏</p>",
        ),
    ];
    ana[1] = react(ana[1].clone(), "👍", ANA);
    org.chats.push(Chat {
        id: CHAT_ANA.into(),
        topic: None,
        chat_type: "oneOnOne".into(),
        created: ago(30, 0),
        members: vec![ME.into(), ANA.into()],
        messages: ana,
        // Read up to before Ana's last two messages.
        last_read: ago(3, 0),
    });

    // A titled group chat.
    let mut event = message(&mut org, BEN, ago(8, 0), "<systemEventMessage/>");
    event.message_type = "systemEventMessage".into();
    event.event = Some(json!({
        "@odata.type": "#microsoft.graph.membersAddedEventMessageDetail",
        "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
        "members": [{"id": CHEN, "displayName": "Chen Wei"}],
        "initiator": {"user": {"id": BEN, "displayName": "Ben Okafor", "userIdentityType": "aadUser"}}
    }));
    let mut file = message(
        &mut org,
        CHEN,
        ago(3, 4),
        "<p>Launch checklist attached</p><attachment id=\"5e0b3d2c-9f1a-4c8e-b7d6-a5f4e3d2c1b0\"></attachment>",
    );
    file.attachments.push(json!({
        "id": "5e0b3d2c-9f1a-4c8e-b7d6-a5f4e3d2c1b0",
        "contentType": "reference",
        "contentUrl": checklist_url,
        "content": null,
        "name": "checklist.docx",
        "thumbnailUrl": null,
        "teamsAppId": null
    }));
    let launch = vec![
        event,
        message(
            &mut org,
            BEN,
            ago(4, 1),
            "<p>Status page copy is ready: <a href=\"https://status.contoso.com/draft\">draft</a></p>",
        ),
        file,
        react(
            mention_of_me(message(
                &mut org,
                DANA,
                ago(1, 6),
                "<p><at id=\"0\">Alex Rivera</at> can you confirm the launch date with legal?</p>",
            )),
            "❤️",
            BEN,
        ),
        message(&mut org, ME, ago(1, 5), "<p>Confirmed for Thursday.</p>"),
    ];
    org.chats.push(Chat {
        id: CHAT_LAUNCH.into(),
        topic: Some("Launch crew".into()),
        chat_type: "group".into(),
        created: ago(20, 0),
        members: vec![ME.into(), BEN.into(), CHEN.into(), DANA.into()],
        messages: launch,
        // Read up to before Dana's mention (and Alex's own answer after it).
        last_read: ago(2, 0),
    });

    // An untitled group chat: named after the others.
    let untitled = vec![
        message(&mut org, BEN, ago(5, 2), "<p>Lunch on Friday?</p>"),
        message(&mut org, DANA, ago(5, 1), "<p>I'm in</p>"),
    ];
    org.chats.push(Chat {
        id: CHAT_UNTITLED.into(),
        topic: None,
        chat_type: "group".into(),
        created: ago(12, 0),
        members: vec![ME.into(), BEN.into(), DANA.into()],
        messages: untitled,
        last_read: now,
    });

    let meeting = vec![message(
        &mut org,
        DANA,
        ago(7, 0),
        "<p>Agenda: roadmap, hiring, on-call</p>",
    )];
    org.chats.push(Chat {
        id: CHAT_MEETING.into(),
        topic: Some("Weekly sync".into()),
        chat_type: "meeting".into(),
        created: ago(40, 0),
        members: vec![ME.into(), ANA.into(), BEN.into(), CHEN.into(), DANA.into()],
        messages: meeting,
        last_read: now,
    });

    // Engineering: posts with replies.
    let mut deploy = message(
        &mut org,
        BEN,
        ago(2, 8),
        "<p>Deploy of payments-api 2.4 starts at 14:00 UTC</p>",
    );
    deploy.subject = Some("payments-api 2.4".into());
    deploy.replies = vec![
        message(
            &mut org,
            ANA,
            ago(2, 7),
            "<p>Migrations are backwards compatible.</p>",
        ),
        mention_of_me(message(
            &mut org,
            BEN,
            ago(2, 6),
            "<p><at id=\"0\">Alex Rivera</at> please approve the change request</p>",
        )),
    ];
    deploy.modified = deploy.replies.last().map_or(deploy.created, |r| r.created);
    let mut welcome = message(
        &mut org,
        ME,
        ago(9, 0),
        "<p>Welcome to Engineering! Runbooks are pinned.</p>",
    );
    welcome.modified = welcome.created;
    let incident = react(
        message(
            &mut org,
            BEN,
            ago(0, 5),
            "<p>Latency spike on checkout, investigating</p>",
        ),
        "😮",
        ANA,
    );
    let members_all: Vec<String> =
        vec![ME.into(), ANA.into(), BEN.into(), CHEN.into(), DANA.into()];
    org.teams.push(Team {
        id: TEAM_ENG.into(),
        name: "Engineering".into(),
        description: "Everything we build and run".into(),
        members: members_all.clone(),
        channels: vec![
            Channel {
                id: ENG_GENERAL.into(),
                name: "General".into(),
                description: String::new(),
                membership: "standard".into(),
                members: members_all.clone(),
                messages: vec![welcome, deploy],
            },
            Channel {
                id: ENG_INCIDENTS.into(),
                name: "Incidents".into(),
                description: "Pages and postmortems".into(),
                membership: "standard".into(),
                members: members_all.clone(),
                messages: vec![incident],
            },
            Channel {
                id: ENG_RELEASES.into(),
                name: "Releases".into(),
                description: "Release managers only".into(),
                membership: "private".into(),
                members: vec![ME.into(), BEN.into()],
                messages: Vec::new(),
            },
        ],
    });
    let crit = message(&mut org, CHEN, ago(1, 2), "<p>New icon set is in Figma</p>");
    org.teams.push(Team {
        id: TEAM_DESIGN.into(),
        name: "Design".into(),
        description: "Design crits and assets".into(),
        members: vec![ME.into(), CHEN.into(), DANA.into()],
        channels: vec![Channel {
            id: DESIGN_GENERAL.into(),
            name: "General".into(),
            description: String::new(),
            membership: "standard".into(),
            members: vec![ME.into(), CHEN.into(), DANA.into()],
            messages: vec![crit],
        }],
    });
    org
}

/// Benchmark chats: `chats` group chats of `messages` messages over the last 30 days.
pub fn add_bulk_chats(
    org: &mut Org,
    now: DateTime<Utc>,
    chats: usize,
    messages: usize,
) -> Vec<String> {
    let people = [ANA, BEN, CHEN, DANA];
    let mut ids = Vec::new();
    for n in 0..chats {
        let id = format!("19:bulk{n:04}0000000000000000000000@thread.v2");
        let span = Duration::days(30).num_milliseconds();
        let step = span / messages.max(1) as i64;
        let mut list = Vec::with_capacity(messages);
        for i in 0..messages {
            let at = now - Duration::days(30)
                + Duration::milliseconds(step * i as i64 + (n as i64 % 997));
            let from = people[(i + n) % people.len()];
            let text = match i % 10 {
                0 => "<p><at id=\"0\">Alex Rivera</at> can you take a look?</p>".to_owned(),
                _ if i % 7 == 0 => format!("<p>payments-api latency is up again in run {i}</p>"),
                _ => format!("<p>Status update {i}: the rollout continues as planned</p>"),
            };
            let mut m = message(org, from, at, &text);
            if i % 10 == 0 {
                m = mention_of_me(m);
            }
            list.push(m);
        }
        org.chats.push(Chat {
            id: id.clone(),
            topic: Some(format!("Bulk chat {n}")),
            chat_type: "group".into(),
            created: now - Duration::days(31),
            members: vec![ME.into(), ANA.into(), BEN.into(), CHEN.into(), DANA.into()],
            messages: list,
            last_read: now - Duration::days(1),
        });
        ids.push(id);
    }
    ids
}
