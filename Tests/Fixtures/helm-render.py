"""Renders charts with real Helm (helm-python-sdk: Helm v4's Go SDK as a C library) for the
differential tests. Reads a JSON list of {"chart", "values", "name", "namespace"} from the
file named first, writes a JSON list of {"outputs": {template: text}} or {"error": text} to
the file named second. Each render loads its chart afresh: Helm changes a loaded chart when
it processes its dependencies."""
import json
import sys

from helm_python import Chart

requests = json.load(open(sys.argv[1]))
answers = []
for request in requests:
    try:
        chart = Chart.load(request["chart"])
        outputs = chart.render(request["values"], name=request["name"], namespace=request["namespace"])
        answers.append({"outputs": outputs})
    except Exception as error:  # any refusal of Helm's is an answer, as Sluice's are
        answers.append({"error": str(error)})
json.dump(answers, open(sys.argv[2], "w"))
