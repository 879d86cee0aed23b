//! Per-event-type subscriptions (`webhook_events`): the rules are the core's
//! (`waas_core::webhook::subscriptions`); an event a client is not subscribed to is closed as
//! `skipped`, visible in the delivery log.

pub use waas_core::webhook::subscriptions::{parse, wants, ALL};

/// The operation and sub-operation of a stored event (its envelope's fields); CORRUPT_RECORD,
/// logged, when they cannot be read.
pub fn kind_of(event: &str) -> Result<(String, String), crate::host::error::ApiError> {
    #[derive(serde::Deserialize)]
    struct Kind {
        operation: String,
        sub_operation: String,
    }
    crate::host::store::stored::<Kind>(event, "event").map(|k| (k.operation, k.sub_operation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_event_s_kind_is_read_or_corrupt_record() {
        assert_eq!(
            kind_of(r#"{"operation":"ACCOUNT","sub_operation":"CREATED","data":{}}"#).ok(),
            Some(("ACCOUNT".into(), "CREATED".into()))
        );
        let junk = kind_of("junk").err().map(|e| e.code());
        assert_eq!(junk, Some(waas_core::ErrorCode::CorruptRecord));
    }
}
