//! Files: the three-step external upload, files.info, private downloads that take the token
//! only in the Authorization header, and the retired files.upload.

use chatkey::providers::slack::emulator::data;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn slack_external_upload_shares_the_file_as_a_message() {
    let h = start().await;
    let api = Api::new(&h).await;
    let bytes = b"id,name\n1,alex\n2,priya\n".to_vec();
    let len = bytes.len().to_string();
    let got = api
        .post(
            "files.getUploadURLExternal",
            &[("filename", "people.csv"), ("length", &len)],
        )
        .await;
    assert_eq!(got["ok"], true, "{got}");
    let upload_url = got["upload_url"].as_str().unwrap().to_string();
    let file_id = got["file_id"].as_str().unwrap().to_string();
    assert!(file_id.starts_with('F') && upload_url.starts_with(h.base_url().as_str()));
    // The upload URL is the credential: no token needed, raw bytes accepted.
    let resp = http()
        .post(&upload_url)
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), format!("OK - {len}"));
    let thread = h.knobs().seed_refs().release_thread_ts;
    let files = json!([{"id": file_id, "title": "People"}]).to_string();
    let done = api
        .post(
            "files.completeUploadExternal",
            &[
                ("files", &files),
                ("channel_id", data::ENG),
                ("initial_comment", "the list"),
                ("thread_ts", &thread),
            ],
        )
        .await;
    assert_eq!(done["ok"], true, "{done}");
    assert_eq!(done["files"][0], json!({"id": file_id, "title": "People"}));
    let replies = api
        .get(
            "conversations.replies",
            &[("channel", data::ENG), ("ts", &thread)],
        )
        .await;
    let last = replies["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["text"], "the list");
    assert_eq!(last["files"][0]["id"], file_id.as_str());
    let info = api.get("files.info", &[("file", &file_id)]).await;
    let file = &info["file"];
    assert_eq!(
        (
            file["name"].clone(),
            file["title"].clone(),
            file["size"].clone()
        ),
        (json!("people.csv"), json!("People"), json!(bytes.len()))
    );
    assert_eq!(file["mimetype"], "text/csv");
    assert_eq!(file["channels"][0], data::ENG);
    assert!(file["shares"]["public"][data::ENG][0]["ts"].is_string());
    // Downloads: bearer header only.
    let download = file["url_private_download"].as_str().unwrap();
    let resp = http()
        .get(download)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv");
    assert_eq!(resp.bytes().await.unwrap().to_vec(), bytes);
    let with_query = http()
        .get(format!("{download}?token={}", api.token))
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_query.status(),
        302,
        "a token in the URL is not accepted"
    );
    assert!(
        with_query.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://acme.slack.com/")
    );
    let private = file["url_private"].as_str().unwrap();
    assert_eq!(
        http()
            .get(private)
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Shared to a public channel, so anyone in the workspace may see it.
    let colleague = h
        .knobs()
        .mint_tokens(data::DANIEL, &["files:read"])
        .unwrap();
    let colleague = Api::with_token(&h, &colleague.access_token);
    assert_eq!(
        colleague.get("files.info", &[("file", &file_id)]).await["ok"],
        true
    );
}

#[tokio::test]
async fn slack_multipart_upload_and_upload_errors() {
    let h = start().await;
    let api = Api::new(&h).await;
    let got = api
        .post(
            "files.getUploadURLExternal",
            &[("filename", "notes.txt"), ("length", "5")],
        )
        .await;
    let (url, id) = (
        got["upload_url"].as_str().unwrap().to_string(),
        got["file_id"].as_str().unwrap().to_string(),
    );
    let boundary = "Xb0undary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    );
    let wrong = http()
        .post(&url)
        .body("too long for five")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400, "the declared length is enforced");
    let resp = http()
        .post(&url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Completed without a channel: the file exists but is shared nowhere.
    let files = json!([{"id": id}]).to_string();
    let done = api
        .json(
            "files.completeUploadExternal",
            json!({"files": [{"id": id}]}),
        )
        .await;
    assert_eq!(done["files"][0]["title"], "notes.txt", "{done}");
    assert_eq!(
        api.get("files.info", &[("file", &id)]).await["file"]["channels"],
        json!([])
    );
    // Shared nowhere, so only its uploader sees it.
    let outsider = h
        .knobs()
        .mint_tokens(data::DANIEL, &["files:read"])
        .unwrap();
    let outsider = Api::with_token(&h, &outsider.access_token);
    assert_eq!(
        err(&outsider.get("files.info", &[("file", &id)]).await),
        "file_not_found"
    );
    assert_eq!(
        err(&api
            .post("files.completeUploadExternal", &[("files", &files)])
            .await),
        "file_not_found",
        "completes once"
    );
    let other = api
        .post(
            "files.getUploadURLExternal",
            &[("filename", "x.bin"), ("length", "1")],
        )
        .await;
    let never = json!([{"id": other["file_id"]}]).to_string();
    assert_eq!(
        err(&api
            .post("files.completeUploadExternal", &[("files", &never)])
            .await),
        "file_not_found",
        "nothing was uploaded"
    );
    assert_eq!(
        err(&api
            .post("files.getUploadURLExternal", &[("filename", "x")])
            .await),
        "invalid_arguments"
    );
    assert_eq!(
        http()
            .post(format!("{}slack-upload/v1/NOPE", h.base_url()))
            .body("x")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // The retired method.
    let (status, retired) = api
        .post_status(
            "files.upload",
            &[
                ("channels", data::ENG),
                ("content", "hi"),
                ("filename", "a.txt"),
            ],
        )
        .await;
    assert_eq!((status, err(&retired)), (200, "method_deprecated"));
    let seeded = h.knobs().seed_refs().file_id;
    let info: Value = api.get("files.info", &[("file", &seeded)]).await;
    assert_eq!(info["file"]["name"], "deploy-checklist.md");
    let no_scope = h
        .knobs()
        .mint_tokens(data::PRIMARY_USER, &["channels:history"])
        .unwrap();
    let url = info["file"]["url_private"].as_str().unwrap();
    let resp = http()
        .get(url)
        .bearer_auth(&no_scope.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302, "files:read is needed to download");
}
