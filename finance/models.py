# Models of this area arrive with its issue.
