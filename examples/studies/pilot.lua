-- The pilot analysis of the npj Digital Medicine 2024 federated study,
-- repeated on the example federation's synthetic patients: response
-- categories, toxicity, and survival by Kaplan–Meier, the log-rank test
-- and a Cox model (censoring respected: event == 0 is a censored time).
local t = fsc.table("patients")

fsc.output("patients", t:count())
fsc.output("response_frequencies", t:frequency("response"))
fsc.output("toxicity_events", t:where("toxicity == 1"):count())

-- Median overall survival by Kaplan–Meier, with its 95% interval.
local os_all = t:km("survival_months", "event").groups.all
fsc.output("median_overall_survival", {median = os_all.median, ci = os_all.median_ci})

-- The curves by sex, and the log-rank test of equal survival.
local by_sex = t:km("survival_months", "event", {by = "sex"})
fsc.output("median_survival_by_sex", {F = by_sex.groups.F.median, M = by_sex.groups.M.median})
fsc.output("logrank_sex", t:logrank("survival_months", "event", "sex"))

-- Survival on age and dose: Cox proportional hazards (Breslow ties).
fsc.output("cox_age_dose", t:coxph("survival_months", "event", {"age", "dose"}))

-- Toxicity on age, dose and sex: logistic regression, as R's glm(binomial).
fsc.output("toxicity_logistic", t:glm("toxicity", {"age", "dose", "sex"}, {family = "binomial"}))

-- A policy refusal is an error value a study can catch.
local ok, err = pcall(function() return t:where("age >= 95"):count() end)
if not ok then
  print("refused as expected: " .. tostring(err))
  fsc.output("refusal_kind", err.name)
end
