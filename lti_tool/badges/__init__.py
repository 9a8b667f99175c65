"""Verifiable badges: Open Badges 3.0 credentials (VC-JWT), Open Badges 2.0 hosted assertions,
Bitstring Status Lists, badge images, and the verification of all of them.

Nothing here touches the database: `lti_tool.services.credentials` issues and changes credentials,
`lti_tool.web.verify` serves them.
"""
