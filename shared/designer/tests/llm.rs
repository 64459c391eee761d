//! The LLM designer's exchange, natively: the request forces the one tool
//! whose parameters are the part program's checked-in schema; a valid tool
//! call is accepted by the offline designer's rules; an invalid one gets
//! exactly one repair turn carrying its errors; garbage gives up (the
//! component then falls back to the offline designer).

#![allow(clippy::unwrap_used)]

use farm_designer::llm::{LlmSession, MAX_REPAIRS, Step, TOOL_NAME, check, tool_call};
use farm_designer::{OfflineDesigner, PartDesigner};
use serde_json::{Value, json};

/// A chat-completions answer calling `name` with `arguments` (OpenAI's wire
/// format: `choices[0].message.tool_calls[].function.arguments` is a string).
fn answer(name: &str, arguments: &str) -> Vec<u8> {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "m",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": null,
            "tool_calls": [{"id": "call_abc", "type": "function",
                "function": {"name": name, "arguments": arguments}}]}}]
    })
    .to_string()
    .into_bytes()
}

fn plate_program() -> Value {
    let design = OfflineDesigner
        .design("a 60 x 40 x 4 mm plate with four M3 clearance holes", None)
        .unwrap();
    serde_json::to_value(&design.spec).unwrap()
}

#[test]
fn the_request_forces_the_one_tool_whose_parameters_are_the_schema() {
    let s = LlmSession::new("gpt-test", "a 60 x 40 x 4 mm plate", None);
    let body = s.request();
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["tool_choice"]["type"], "function");
    assert_eq!(body["tool_choice"]["function"]["name"], TOOL_NAME);
    let tools = body["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["type"], "function");
    assert_eq!(tools[0]["function"]["name"], TOOL_NAME);
    let mut schema: Value = serde_json::from_str(farm_partspec::schema::CHECKED_IN).unwrap();
    schema.as_object_mut().unwrap().remove("$schema");
    assert_eq!(tools[0]["function"]["parameters"], schema);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(
        messages[1],
        json!({"role": "user", "content": "a 60 x 40 x 4 mm plate"})
    );
}

#[test]
fn a_follow_up_carries_the_previous_program() {
    let previous: farm_partspec::PartSpec = serde_json::from_value(plate_program()).unwrap();
    let s = LlmSession::new("m", "make it 5 mm thick", Some(&previous));
    let user = s.request()["messages"][1]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(user.contains("make it 5 mm thick"), "{user}");
    assert!(
        user.contains(&serde_json::to_string(&previous).unwrap()),
        "{user}"
    );
}

#[test]
fn a_valid_tool_call_is_the_design() {
    let program = plate_program();
    let mut s = LlmSession::new("m", "plate", None);
    match s.answer(&answer(TOOL_NAME, &program.to_string())) {
        Step::Done(design) => {
            assert_eq!(serde_json::to_value(&design.spec).unwrap(), program);
            assert!(!design.summary.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_invalid_call_gets_one_repair_turn_with_its_errors_then_a_valid_one_passes() {
    let mut thin = plate_program();
    thin["part"]["thickness_mm"] = json!(0.5);
    let mut s = LlmSession::new("m", "plate", None);
    let Step::Repair { errors } = s.answer(&answer(TOOL_NAME, &thin.to_string())) else {
        panic!("expected a repair");
    };
    assert!(
        errors.iter().any(|e| e.starts_with("part.thickness_mm")),
        "the error names the parameter: {errors:?}"
    );
    let body = s.request();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        4,
        "system, user, assistant call, tool answer"
    );
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(messages[2]["tool_calls"][0]["id"], "call_abc");
    assert_eq!(
        messages[2]["tool_calls"][0]["function"]["arguments"],
        thin.to_string()
    );
    assert_eq!(messages[3]["role"], "tool");
    assert_eq!(messages[3]["tool_call_id"], "call_abc");
    assert!(
        messages[3]["content"]
            .as_str()
            .unwrap()
            .contains("part.thickness_mm")
    );
    assert!(matches!(
        s.answer(&answer(TOOL_NAME, &plate_program().to_string())),
        Step::Done(_)
    ));
}

#[test]
fn invalid_twice_gives_up_after_one_repair() {
    assert_eq!(MAX_REPAIRS, 1);
    let mut bad = plate_program();
    bad["part"]["thickness_mm"] = json!(0.5);
    let mut s = LlmSession::new("m", "plate", None);
    assert!(matches!(
        s.answer(&answer(TOOL_NAME, &bad.to_string())),
        Step::Repair { .. }
    ));
    match s.answer(&answer(TOOL_NAME, &bad.to_string())) {
        Step::GiveUp { reason } => assert!(reason.contains("part.thickness_mm"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_and_answers_without_the_tool_give_up() {
    for body in [
        b"<html>bad gateway</html>".to_vec(),
        json!({"choices": []}).to_string().into_bytes(),
        json!({"choices": [{"message": {"role": "assistant", "content": "a plate!"}}]})
            .to_string()
            .into_bytes(),
        answer("other_tool", "{}"),
    ] {
        let mut s = LlmSession::new("m", "plate", None);
        assert!(
            matches!(s.answer(&body), Step::GiveUp { .. }),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[test]
fn arguments_that_are_not_a_program_are_repaired_not_trusted() {
    // Unknown fields are refused (the schema says additionalProperties: false).
    let mut extra = plate_program();
    extra["colour"] = json!("red");
    let errors = check(&extra.to_string()).unwrap_err();
    assert!(errors[0].contains("colour"), "{errors:?}");
    assert!(check("not json").is_err());
    let mut v2 = plate_program();
    v2["version"] = json!(2);
    assert_eq!(
        check(&v2.to_string()).unwrap_err(),
        vec!["version: must be 1"]
    );
    let call = tool_call(&answer(TOOL_NAME, "{}")).unwrap();
    assert_eq!(
        (call.id.as_str(), call.arguments.as_str()),
        ("call_abc", "{}")
    );
}
