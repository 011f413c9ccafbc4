"""SMS and WhatsApp broadcasts (issue 13, item 7; seed 002's "Messaging (SMS/WhatsApp)"): a message to
every consenting customer, a saved segment or listed customers, now or at a set time, sent by the job
system in paced batches through the SMS provider, with Twilio's delivery reports and inbound STOP/START."""
