use quick_cache::{
    DefaultHashBuilder, OptionsBuilder, UnitWeighter, Weighter,
    sync::{Cache, DefaultLifecycle},
};
fn opts(items: usize, weight: u64, hot: f64, shards: usize) -> quick_cache::Options {
    OptionsBuilder::new()
        .estimated_items_capacity(items)
        .weight_capacity(weight)
        .hot_allocation(hot)
        .shards(shards)
        .build()
        .unwrap()
}
#[derive(Clone)]
struct W;
impl Weighter<String, String> for W {
    fn weight(&self, k: &String, v: &String) -> u64 {
        (k.len() + v.len()) as u64
    }
}
fn main() {
    for hot in [0.0, 0.5, 0.97] {
        for shards in [1usize, 8] {
            let q: Cache<String, u32> = Cache::with_options(
                opts(2, 2, hot, shards),
                UnitWeighter,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            );
            q.insert("a".into(), 1);
            q.insert("b".into(), 2);
            q.get("a");
            q.insert("c".into(), 3);
            let lru = (
                q.get("a").is_some(),
                q.get("b").is_none(),
                q.get("c").is_some(),
                q.len(),
            );
            let q: Cache<String, u32> = Cache::with_options(
                opts(2, 2, hot, shards),
                UnitWeighter,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            );
            for k in ["a", "b", "c"] {
                q.insert(k.into(), 1);
            }
            let doc = (q.get("a").is_none(), q.get("c").is_some());
            let q: Cache<u32, u32> = Cache::with_options(
                opts(4096, 4096, hot, shards),
                UnitWeighter,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            );
            for i in 0..4106 {
                q.insert(i, 1);
            }
            let n = q.len();
            let q = Cache::with_options(
                opts(64, 32 << 20, hot, shards),
                W,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            );
            q.insert("a".into(), "<p>a</p>".into());
            q.get("a");
            let big = "x".repeat((1 << 20) - 10);
            for i in 0..40 {
                q.insert(format!("k{i}"), big.clone());
            }
            println!(
                "hot={hot} shards={shards}: lru(a kept,b gone,c kept,len)={lru:?} doc(a gone,c kept)={doc:?} len4106={n} render(a gone={}, k39={})",
                q.get("a").is_none(),
                q.get("k39").is_some()
            );
        }
    }
}
