-- wrk -s functions/modelserver/testdata/wrk-infer.lua http://127.0.0.1:18080/v2/models/netops/infer
-- Single-row OIP inference, as BenchmarkServing sends it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [95, 4, 1, 250]}]}'
