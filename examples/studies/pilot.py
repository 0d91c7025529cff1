# The pilot analysis of the npj Digital Medicine 2024 federated study in
# Python syntax, on the example federation's synthetic patients.
t = fsc.table("patients")

fsc.output("patients", t.count())
fsc.output("response_frequencies", t.frequency("response"))
fsc.output("toxicity_events", t.where("toxicity == 1").count())
fsc.output("median_survival_months", t.median("survival_months"))
fsc.output("survival_quartiles", t.quantile("survival_months", [0.25, 0.5, 0.75]))

try:
    t.where("age >= 94").count()
except fsc.DisclosureError as e:
    print("refused as expected:", e)
    fsc.output("refusal_kind", "DisclosureError")
