//! get/insert of a 4,096-entry cache of String -> Arc<str>, the shape of gistdesk's caches.
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const CAP: usize = 4096;
const OPS: usize = 2_000_000;

trait C: Sync {
    fn get(&self, k: &str) -> Option<Arc<str>>;
    fn put(&self, k: String, v: Arc<str>);
}

struct Moka(moka::sync::Cache<String, Arc<str>>);
impl C for Moka {
    fn get(&self, k: &str) -> Option<Arc<str>> {
        self.0.get(k)
    }
    fn put(&self, k: String, v: Arc<str>) {
        self.0.insert(k, v)
    }
}
/// LRU, with the bound enforced at each insert (what the existing tests ask of these caches).
struct MokaLru(moka::sync::Cache<String, Arc<str>>);
impl C for MokaLru {
    fn get(&self, k: &str) -> Option<Arc<str>> {
        self.0.get(k)
    }
    fn put(&self, k: String, v: Arc<str>) {
        self.0.insert(k, v);
        self.0.run_pending_tasks()
    }
}
struct Quick(quick_cache::sync::Cache<String, Arc<str>>);
impl C for Quick {
    fn get(&self, k: &str) -> Option<Arc<str>> {
        self.0.get(k)
    }
    fn put(&self, k: String, v: Arc<str>) {
        self.0.insert(k, v)
    }
}
/// Today's shape: a HashMap behind a Mutex (no eviction order kept).
struct Map(Mutex<HashMap<String, Arc<str>>>);
impl C for Map {
    fn get(&self, k: &str) -> Option<Arc<str>> {
        self.0.lock().unwrap().get(k).cloned()
    }
    fn put(&self, k: String, v: Arc<str>) {
        let mut m = self.0.lock().unwrap();
        if m.len() >= CAP && !m.contains_key(&k) {
            if let Some(o) = m.keys().next().cloned() {
                m.remove(&o);
            }
        }
        m.insert(k, v);
    }
}

fn keys(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("https://gist.example/raw/{i:08x}/file.rs"))
        .collect()
}

fn ns_per_op(threads: usize, f: impl Fn(usize) + Sync) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let f = &f;
            s.spawn(move || {
                for i in 0..OPS / threads {
                    f(i * 7919 + t)
                }
            });
        }
    });
    start.elapsed().as_nanos() as f64 / OPS as f64
}

fn run(name: &str, c: &dyn C) {
    let ks = keys(CAP * 2);
    let v: Arc<str> = Arc::from("<p>rendered</p>");
    for k in &ks[..CAP] {
        c.put(k.clone(), v.clone());
    }
    // hits: keys kept
    let hot: Vec<&String> = ks[..CAP].iter().filter(|k| c.get(k).is_some()).collect();
    let get1 = ns_per_op(1, |i| {
        black_box(c.get(hot[i % hot.len()]));
    });
    let get2 = ns_per_op(2, |i| {
        black_box(c.get(hot[i % hot.len()]));
    });
    let put1 = ns_per_op(1, |i| c.put(ks[i % ks.len()].clone(), v.clone()));
    let mix2 = ns_per_op(2, |i| {
        if i % 10 == 0 {
            c.put(ks[i % ks.len()].clone(), v.clone())
        } else {
            black_box(c.get(&ks[i % ks.len()]));
        }
    });
    println!(
        "{name:12} get {get1:6.0} ns | get x2 threads {get2:6.0} ns | insert+evict {put1:6.0} ns | 90/10 x2 threads {mix2:6.0} ns"
    );
}

fn main() {
    for round in 0..3 {
        println!("round {round}");
        run("moka", &Moka(moka::sync::Cache::new(CAP as u64)));
        run(
            "moka lru+sync",
            &MokaLru(
                moka::sync::Cache::builder()
                    .max_capacity(CAP as u64)
                    .eviction_policy(moka::policy::EvictionPolicy::lru())
                    .build(),
            ),
        );
        run("quick_cache", &Quick(quick_cache::sync::Cache::new(CAP)));
        run("mutex+map", &Map(Mutex::new(HashMap::new())));
    }
}
