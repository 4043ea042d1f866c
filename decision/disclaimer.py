"""The non-prescriptive disclaimer: defined once, shown on every page, print, PDF and API answer."""

DISCLAIMER = (
    "This tool summarises published evidence on NMDA-receptor antagonists in neuropathic pain "
    "to support a clinician's own judgement. It does not prescribe, recommend or dose any "
    "treatment, and it does not replace clinical assessment of the individual patient."
)
