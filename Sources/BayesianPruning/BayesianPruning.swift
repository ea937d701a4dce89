// Criteria, masks, compression accounting (issue 8).
