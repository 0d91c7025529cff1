-- The pilot analysis of the npj Digital Medicine 2024 federated study,
-- repeated on the example federation's synthetic patients: response
-- categories, toxicity, and survival.
local t = fsc.table("patients")

fsc.output("patients", t:count())
fsc.output("response_frequencies", t:frequency("response"))
fsc.output("toxicity_events", t:where("toxicity == 1"):count())
fsc.output("median_survival_months", t:median("survival_months"))
fsc.output("median_survival_months_by_sex", {
  F = t:where("sex == 'F'"):median("survival_months"),
  M = t:where("sex == 'M'"):median("survival_months"),
})
fsc.output("survival_quartiles", t:quantile("survival_months", {0.25, 0.5, 0.75}))

-- A policy refusal is an error value a study can catch.
local ok, err = pcall(function() return t:where("age >= 94"):count() end)
if not ok then
  print("refused as expected: " .. tostring(err))
  fsc.output("refusal_kind", err.name)
end
