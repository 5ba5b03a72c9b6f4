import type { NonEmptyReadonlyArray } from "effect/Array"

/**
 * The platforms the mock knows: connections are generated on them and the
 * available-connectors catalogue lists them. Earlier entries are more common.
 */
export interface Platform {
  readonly platform: string
  readonly title: string
  readonly description: string
  readonly category: string
  readonly platformVersion: string
  readonly oauth: boolean
}

const platform = (
  platform: string,
  title: string,
  category: string,
  description: string,
  platformVersion = "1.0.0",
  oauth = true
): Platform => ({ platform, title, description, category, platformVersion, oauth })

export const all: NonEmptyReadonlyArray<Platform> = [
  platform("stripe", "Stripe", "Payments", "Financial infrastructure to accept payments and manage businesses online", "1.0.0", false),
  platform("slack", "Slack", "Communication", "Team messaging, channels and workflow automation"),
  platform("gmail", "Gmail", "Email", "Email from Google: send, read and organise messages"),
  platform("hubspot", "HubSpot", "CRM", "CRM platform for marketing, sales and customer service", "2.0.0"),
  platform("notion", "Notion", "Productivity", "Connected workspace for docs, wikis and projects"),
  platform("github", "GitHub", "Developer Tools", "Code hosting, pull requests and issues for software teams"),
  platform("salesforce", "Salesforce", "CRM", "Customer relationship management for sales and service teams", "2.1.0"),
  platform("shopify", "Shopify", "E-commerce", "Commerce platform to run online stores and point of sale"),
  platform("resend", "Resend", "Email", "Email API for developers", "1.0.0", false),
  platform("exa", "Exa", "Search", "Web search API built for AI applications", "1.0.0", false),
  platform("google-calendar", "Google Calendar", "Productivity", "Calendars, events and scheduling from Google"),
  platform("google-drive", "Google Drive", "Storage", "File storage and sharing from Google"),
  platform("google-sheets", "Google Sheets", "Productivity", "Spreadsheets from Google"),
  platform("linear", "Linear", "Project Management", "Issue tracking and project planning for product teams"),
  platform("jira", "Jira", "Project Management", "Issue and project tracking from Atlassian", "3.0.0"),
  platform("asana", "Asana", "Project Management", "Work management for tasks, projects and goals"),
  platform("zendesk", "Zendesk", "Support", "Customer service ticketing and help centre"),
  platform("intercom", "Intercom", "Support", "Customer messaging and support platform"),
  platform("mailchimp", "Mailchimp", "Marketing", "Email marketing and audience management"),
  platform("sendgrid", "SendGrid", "Email", "Transactional and marketing email delivery", "1.0.0", false),
  platform("twilio", "Twilio", "Communication", "Programmable SMS, voice and messaging APIs", "1.0.0", false),
  platform("airtable", "Airtable", "Database", "Spreadsheet-database hybrid for building apps"),
  platform("dropbox", "Dropbox", "Storage", "Cloud file storage and synchronisation"),
  platform("zoom", "Zoom", "Communication", "Video meetings, webinars and phone"),
  platform("quickbooks", "QuickBooks", "Accounting", "Accounting and invoicing for small businesses"),
  platform("xero", "Xero", "Accounting", "Online accounting software for small businesses"),
  platform("pipedrive", "Pipedrive", "CRM", "Sales pipeline management CRM"),
  platform("attio", "Attio", "CRM", "Data-driven CRM for modern teams"),
  platform("clickup", "ClickUp", "Project Management", "Tasks, docs and goals in one app"),
  platform("monday", "monday.com", "Project Management", "Work operating system for teams"),
  platform("discord", "Discord", "Communication", "Voice, video and text chat for communities"),
  platform("microsoft-teams", "Microsoft Teams", "Communication", "Chat, meetings and calls from Microsoft"),
  platform("outlook", "Outlook", "Email", "Email and calendar from Microsoft"),
  platform("elevenlabs", "ElevenLabs", "AI", "Realistic text to speech and voice cloning", "1.0.0", false),
  platform("openai", "OpenAI", "AI", "Models for text, images and audio through one API", "1.0.0", false),
  platform("calendly", "Calendly", "Productivity", "Scheduling links and meeting booking"),
  platform("docusign", "DocuSign", "Documents", "Electronic signatures and agreements"),
  platform("typeform", "Typeform", "Forms", "Conversational forms and surveys"),
  platform("paypal", "PayPal", "Payments", "Online payments and money transfers", "2.0.0"),
  platform("freshdesk", "Freshdesk", "Support", "Helpdesk and customer support software")
]
