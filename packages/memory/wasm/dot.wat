;; Dot products of one query with many float32 rows, four lanes at a time (WASM SIMD).
;; Compiled with `wat2wasm --enable-simd dot.wat` (wabt); the binary is embedded in src/vectorTable.ts.
;; Rows have d floats, d a multiple of 8; pointers are byte offsets into the exported memory.
(module
  (memory (export "memory") 1)

  ;; One row: sum over j of q[j] * row[j], two accumulators to hide the add latency.
  (func $dot (param $q i32) (param $row i32) (param $dbytes i32) (result f32)
    (local $j i32) (local $a v128) (local $b v128)
    (block $end
      (loop $next
        (br_if $end (i32.ge_u (local.get $j) (local.get $dbytes)))
        (local.set $a (f32x4.add (local.get $a)
          (f32x4.mul (v128.load (i32.add (local.get $q) (local.get $j))) (v128.load (i32.add (local.get $row) (local.get $j))))))
        (local.set $b (f32x4.add (local.get $b)
          (f32x4.mul (v128.load offset=16 (i32.add (local.get $q) (local.get $j))) (v128.load offset=16 (i32.add (local.get $row) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $next)))
    (local.set $a (f32x4.add (local.get $a) (local.get $b)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; out[i] = dot(q, rows + i * d) for i in [0, n)
  (func (export "scan") (param $q i32) (param $rows i32) (param $n i32) (param $d i32) (param $out i32)
    (local $i i32) (local $dbytes i32)
    (local.set $dbytes (i32.shl (local.get $d) (i32.const 2)))
    (block $end
      (loop $next
        (br_if $end (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (call $dot (local.get $q) (i32.add (local.get $rows) (i32.mul (local.get $i) (local.get $dbytes))) (local.get $dbytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  ;; out[k] = dot(q, rows + ids[k] * d) for k in [0, m), ids int32
  (func (export "gather") (param $q i32) (param $rows i32) (param $ids i32) (param $m i32) (param $d i32) (param $out i32)
    (local $k i32) (local $dbytes i32)
    (local.set $dbytes (i32.shl (local.get $d) (i32.const 2)))
    (block $end
      (loop $next
        (br_if $end (i32.ge_u (local.get $k) (local.get $m)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $k) (i32.const 2)))
          (call $dot (local.get $q)
            (i32.add (local.get $rows) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $k) (i32.const 2)))) (local.get $dbytes)))
            (local.get $dbytes)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))))
