//! mrkdwn both ways, with names from maps.

use super::*;

fn names() -> NameMaps {
    let map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    NameMaps {
        users: map(&[("U1", "Alex Doe"), ("W2", "Sam")]),
        channels: map(&[("C1", "eng"), ("D9", "Sam")]),
        usergroups: map(&[("S1", "oncall")]),
    }
}

#[test]
fn mentions_become_names() {
    let n = names();
    assert_eq!(render("hi <@U1>!", &n), "hi @Alex Doe!");
    assert_eq!(render("<@W2|sam.old> and <@U7|pat>", &n), "@Sam and @pat");
    assert_eq!(render("ask <@U8>", &n), "ask @U8");
    assert_eq!(render("see <#C1|eng> and <#C1>", &n), "see #eng and #eng");
    assert_eq!(render("<#C5|random> <#C6>", &n), "#random #C6");
}

#[test]
fn broadcasts_groups_and_dates() {
    let n = names();
    assert_eq!(
        render("<!here> <!channel> <!everyone> <!here|here>", &n),
        "@here @channel @everyone @here"
    );
    assert_eq!(
        render("<!subteam^S1> <!subteam^S2|@design>", &n),
        "@oncall @design"
    );
    assert_eq!(
        render(
            "due <!date^1392734382^{date_num} {time_secs}|Posted 2014-02-18 6:39:42 AM PST>",
            &n
        ),
        "due Posted 2014-02-18 6:39:42 AM PST"
    );
    assert_eq!(
        render("<!date^1392734382^{date}>", &n),
        "2014-02-18 14:39 UTC"
    );
}

#[test]
fn links_keep_their_url() {
    let n = names();
    assert_eq!(
        render("<https://example.com/a?b=1&amp;c=2|the doc>", &n),
        "the doc (https://example.com/a?b=1&c=2)"
    );
    assert_eq!(render("<https://example.com>", &n), "https://example.com");
    assert_eq!(
        render("<https://example.com|https://example.com>", &n),
        "https://example.com"
    );
    assert_eq!(render("<mailto:a@b.io|a@b.io>", &n), "a@b.io");
    assert_eq!(render("<mailto:a@b.io|Alex>", &n), "Alex (a@b.io)");
}

#[test]
fn entities_are_decoded_once_and_stray_brackets_survive() {
    let n = names();
    assert_eq!(render("a &amp; b &lt;3 &gt;_&lt;", &n), "a & b <3 >_<");
    assert_eq!(render("&amp;lt; stays", &n), "&lt; stays");
    assert_eq!(render("AT&T & co", &n), "AT&T & co");
    assert_eq!(render("open <never closed", &n), "open <never closed");
    assert_eq!(render("", &n), "");
    assert_eq!(render("üñí <@U1> çødé", &n), "üñí @Alex Doe çødé");
}

#[test]
fn references_collect_each_id_once() {
    let mut refs = references("<@U1> <@U2|x> <#C1|eng> <@U1> <!subteam^S1|@a> <!here> <https://x>");
    refs.add("<@U3> <#C2>");
    assert_eq!(refs.users, ["U1", "U2", "U3"]);
    assert_eq!(refs.channels, ["C1", "C2"]);
    assert_eq!(refs.usergroups, ["S1"]);
}

#[test]
fn only_real_mentions_count() {
    assert_eq!(mention_of("hey <@U1>", "U1"), Some(Mention::Direct));
    assert_eq!(mention_of("hey <@U1|alex>", "U1"), Some(Mention::Direct));
    assert_eq!(mention_of("<!here> and <@U1>", "U1"), Some(Mention::Direct));
    assert_eq!(mention_of("<!here> all", "U1"), Some(Mention::Here));
    assert_eq!(mention_of("<!channel>", "U1"), Some(Mention::Channel));
    assert_eq!(mention_of("<!everyone>", "U1"), Some(Mention::Everyone));
    // Names, handles, other ids and plain-text @here are not mentions.
    assert!(!mentions("U1 alex @alex @here Alex Doe", "U1"));
    assert!(!mentions("<@U10> <@U1X>", "U1"));
    assert!(!mentions("<https://x/U1|U1>", "U1"));
    assert!(!mentions("<#C1|U1>", "U1"));
}

#[test]
fn escape_keeps_written_control_sequences() {
    assert_eq!(escape("a & b < c > d"), "a &amp; b &lt; c &gt; d");
    assert_eq!(
        escape("ping <@U1> and <@W2|sam>"),
        "ping <@U1> and <@W2|sam>"
    );
    assert_eq!(escape("in <#C1> or <#C1|eng>"), "in <#C1> or <#C1|eng>");
    assert_eq!(
        escape("<!here> <!channel> <!everyone>"),
        "<!here> <!channel> <!everyone>"
    );
    assert_eq!(escape("<!subteam^S1|@oncall>"), "<!subteam^S1|@oncall>");
    assert_eq!(
        escape("<https://x.io/a?b=1&c=2|doc>"),
        "<https://x.io/a?b=1&c=2|doc>"
    );
    assert_eq!(escape("<mailto:a@b.io>"), "<mailto:a@b.io>");
    // Things that look like sequences but are not: escaped.
    assert_eq!(escape("<b>bold</b>"), "&lt;b&gt;bold&lt;/b&gt;");
    assert_eq!(escape("x <@alex> y"), "x &lt;@alex&gt; y");
    assert_eq!(escape("<!here"), "&lt;!here");
    assert_eq!(escape("if a<b && c>d"), "if a&lt;b &amp;&amp; c&gt;d");
    assert_eq!(
        escape("<javascript:alert(1)|x>"),
        "&lt;javascript:alert(1)|x&gt;"
    );
    assert_eq!(escape("ünï <@U1> ✓"), "ünï <@U1> ✓");
}

#[test]
fn escape_then_render_round_trips_plain_text() {
    let n = NameMaps::default();
    for text in [
        "a & b < c > d",
        "&amp; literally",
        "<b>",
        "x <y",
        "1 > 0 & 0 < 1",
    ] {
        assert_eq!(render(&escape(text), &n), text, "{text}");
    }
}
