-- The demo study: every statistic of the DSL on the example federation.
-- `make demo` runs it with `fsc-kernel run` and prints each result beside
-- the plaintext value computed from the pooled CSVs.
local t = fsc.table("patients")

fsc.output("patients", t:count())
fsc.output("women", t:where("sex == 'F'"):count())
fsc.output("older_with_toxicity", t:where("age >= 65"):where("toxicity == 1"):count())
fsc.output("bmi_recorded", t:count("bmi"))
fsc.output("sum_age", t:sum("age"))
fsc.output("sum_bmi", t:sum("bmi"))
fsc.output("dose_of_complete_responders", t:where("response == 'CR'"):sum("dose"))
fsc.output("mean_age", t:mean("age"))
fsc.output("var_age", t:var("age"))
fsc.output("sd_bmi", t:std("bmi"))
fsc.output("median_survival", t:median("survival_months"))
fsc.output("dose_quantiles_with_toxicity", t:where("toxicity == 1"):quantile("dose", {0.1, 0.5, 0.9}))
fsc.output("survival_summary", t:summary("survival_months"))
fsc.output("age_histogram", t:histogram("age", {bins = {0, 40, 60, 70, 80, 120}}))
fsc.output("response", t:frequency("response"))
fsc.output("sex_by_response", t:crosstab("sex", "response"))
fsc.output("cor_age_dose", t:cor("age", "dose"))
fsc.output("cov_age_dose", t:cov("age", "dose"))
fsc.output("survival_on_age_and_dose", t:ols("survival_months", {"age", "dose"}))
