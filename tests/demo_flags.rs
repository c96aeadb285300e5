//! The demo's flags are flagd definitions, evaluated by the same code as any flag source's.

use ripcord::flags::{FlagType, Reason, State};
use ripcord::sim::World;
use serde_json::json;

#[test]
fn the_demos_flags_evaluate_as_flagd_definitions() {
    let mut world = World::demo(7);
    let flags: Vec<_> = world
        .take_flags()
        .into_iter()
        .flat_map(|(_, f)| f.flags)
        .collect();
    let flag = |key: &str| {
        flags
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("the demo has {key}"))
    };

    let one_click = flag("checkout.one-click");
    let old_app = one_click.evaluate(&json!({"app_version": "1.8.4"}), 0, FlagType::Boolean);
    assert_eq!(
        (old_app.value, old_app.reason),
        (Some(json!(false)), Reason::TargetingMatch)
    );
    let new_app = one_click.evaluate(&json!({"app_version": "1.9.0"}), 0, FlagType::Boolean);
    assert_eq!(
        (new_app.value, new_app.reason),
        (Some(json!(true)), Reason::Default)
    );

    let tax = flag("checkout.new-tax-engine");
    assert_eq!(tax.state, State::Disabled);
    assert_eq!(
        tax.evaluate(&json!({}), 0, FlagType::Boolean).reason,
        Reason::Disabled
    );

    // 3-D Secure: on for these countries, else a fixed 80/20 split by targeting key.
    let three_ds = flag("payments.3ds-v2");
    let de = three_ds.evaluate(&json!({"country": "de"}), 0, FlagType::Boolean);
    assert_eq!(de.value, Some(json!(true)));
    let on = (0..1000)
        .filter(|i| {
            let ctx = json!({"country": "us", "targetingKey": format!("user-{i}")});
            three_ds.evaluate(&ctx, 0, FlagType::Boolean).value == Some(json!(true))
        })
        .count();
    assert!((740..860).contains(&on), "{on} of 1000 in the 80% bucket");
}
