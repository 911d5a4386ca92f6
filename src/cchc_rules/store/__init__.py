"""The assessment store: campaigns, their events, published runs; imports reports and below."""
