"""The dispatcher's plain-language requests (issue 11, item 7): ``POST /ai/dispatch/query`` reads a request
against the shop's technicians and open work orders, ``POST /ai/dispatch/query/apply`` applies what it
proposed."""
