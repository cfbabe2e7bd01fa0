//! The household-registration catalogue ningan ships: 63 items, 49 of them handled at any
//! station in the city (全城通办) and 33 of those across the cities of the 浙东 economic zone
//! (跨市通办), as the seed reports.
//!
//! The items, their conditions, the facts a station checks, time limits and fees follow the
//! household-registration service guides that Zhejiang's public-security organs publish on
//! 浙江政务服务网 (zjzwfw.gov.cn, 公安 · 户政 items), with the laws they cite: the PRC Household
//! Registration Regulations (1958), the Resident Identity Card Law (2003, amended 2011), the
//! Interim Regulations on Residence Permits (2015), Zhejiang's household-registration rules and
//! residence-registration regulations, and the Ministry of Public Security's 2016 opinion on
//! which certificates police stations issue. Fees: 20 yuan for an ID card issued, renewed or
//! replaced and 10 yuan for a temporary card (NDRC/MoF price notice 2003 No. 2322); Zhejiang
//! charges nothing for household booklets or residence permits. The time limits are the
//! guides' promised working days; a bureau changes any of this through the catalogue page,
//! each change a new version.

use std::collections::HashMap;
use std::sync::LazyLock;

use ningan_store::{NewServiceItem, ServiceFact, ServiceField};

/// (code, 中文, English, source): `bureau` or the agency holding the fact.
pub const FACTS: &[(&str, &str, &str, &str)] = &[
    ("identity", "身份信息（姓名、公民身份号码、出生日期）", "Identity (name, ID number, date of birth)", "bureau"),
    (
        "household",
        "户籍信息（户号、户籍地址、户内成员）",
        "Household registration (number, address, members)",
        "bureau",
    ),
    ("exit_record", "出国（境）定居信息", "Settlement abroad record", "bureau"),
    ("residence_record", "居住登记信息", "Residence registration", "bureau"),
    ("birth_certificate", "出生医学证明", "Medical birth certificate", "health"),
    ("death_record", "死亡医学证明", "Medical death certificate", "health"),
    ("marriage_record", "婚姻登记信息", "Marriage registration", "civil_affairs"),
    ("adoption_record", "收养登记信息", "Adoption registration", "civil_affairs"),
    ("property_record", "不动产权属信息", "Property ownership record", "real_estate"),
    ("rental_record", "住房租赁登记备案信息", "Registered tenancy", "real_estate"),
    ("school_enrolment", "学籍信息", "School enrolment record", "education"),
    ("education_record", "学历学位信息", "Degrees and diplomas", "education"),
    ("social_insurance", "社会保险参保缴费信息", "Social insurance contributions", "hrss"),
    ("talent_record", "人才认定信息", "Recognised-talent record", "hrss"),
    ("military_record", "入伍、退役信息", "Enlistment and discharge record", "military"),
    ("release_record", "刑满释放信息", "Release from prison record", "justice"),
    ("court_judgement", "人民法院宣告死亡判决", "Court's declaration of death", "court"),
];

/// Where an item may be handled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Only at the applicant's household station.
    Home,
    /// 全城通办.
    City,
    /// 全城通办 and 跨市通办.
    Zone,
}

struct Field {
    key: &'static str,
    label: (&'static str, &'static str),
    kind: &'static str,
    required: bool,
    options: &'static [(&'static str, &'static str)],
}

const fn f(key: &'static str, zh: &'static str, en: &'static str, kind: &'static str) -> Field {
    Field { key, label: (zh, en), kind, required: true, options: &[] }
}

const fn optional(field: Field) -> Field {
    Field { required: false, ..field }
}

const fn choice(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    options: &'static [(&'static str, &'static str)],
) -> Field {
    Field { key, label: (zh, en), kind: "choice", required: true, options }
}

struct Item {
    code: &'static str,
    name: (&'static str, &'static str),
    category: &'static str,
    facts: &'static [&'static str],
    fields: &'static [Field],
    days: i64,
    fee: i64,
    reach: Reach,
    who: (&'static str, &'static str),
}

const CATEGORIES: &[(&str, &str, &str)] = &[
    ("户口登记", "Household registration", "《中华人民共和国户口登记条例》《浙江省户口登记管理规定》"),
    ("户口迁移", "Household moves", "《中华人民共和国户口登记条例》《浙江省户口登记管理规定》"),
    (
        "户口项目变更更正",
        "Changes and corrections to the register",
        "《中华人民共和国户口登记条例》《浙江省户口登记管理规定》",
    ),
    ("居民身份证", "Resident ID card", "《中华人民共和国居民身份证法》"),
    ("流动人口", "Non-local residents", "《居住证暂行条例》《浙江省流动人口居住登记条例》"),
    ("户籍证明", "Certificates", "《中华人民共和国户口登记条例》、公安部《关于规范派出所出具证明工作的意见》"),
];

const BASIS_EN: &[(&str, &str)] = &[
    (
        "《中华人民共和国户口登记条例》《浙江省户口登记管理规定》",
        "PRC Household Registration Regulations; Zhejiang Household Registration Rules",
    ),
    ("《中华人民共和国居民身份证法》", "PRC Resident Identity Card Law"),
    (
        "《居住证暂行条例》《浙江省流动人口居住登记条例》",
        "Interim Regulations on Residence Permits; Zhejiang Residence Registration Regulations",
    ),
    (
        "《中华人民共和国户口登记条例》、公安部《关于规范派出所出具证明工作的意见》",
        "PRC Household Registration Regulations; Ministry of Public Security opinion on station certificates (2016)",
    ),
];

const RESIDENT: (&str, &str) = (
    "本市户籍居民本人（未成年人由监护人代为申请）",
    "Residents registered in the city, in person (a guardian applies for a minor)",
);
const GUARDIAN: (&str, &str) =
    ("新生儿父亲或母亲（须有一方为本市户籍）", "The newborn's father or mother (one of them registered in the city)");
const FAMILY: (&str, &str) = ("死者的近亲属或所在单位", "A close relative of the deceased, or their employer");
const MOVER: (&str, &str) = (
    "符合宁波市户口迁入条件的本人（未成年人由监护人代为申请）",
    "Anyone who meets Ningbo's conditions for moving in (a guardian applies for a minor)",
);
const HOLDER: (&str, &str) =
    ("已登记常住户口的中国公民本人", "Chinese citizens with a permanent registration, in person");
const NON_LOCAL: (&str, &str) =
    ("在本市居住的非本市户籍人员本人", "People living in the city who are registered elsewhere, in person");

const GENDER: &[(&str, &str)] = &[("男", "Male"), ("女", "Female")];
const RELATION: &[(&str, &str)] =
    &[("父母", "Parent"), ("配偶", "Spouse"), ("子女", "Child"), ("其他近亲属", "Other close relative")];
const PURPOSE: &[(&str, &str)] = &[
    ("办理继承", "Inheritance"),
    ("办理出国（境）", "Travel abroad"),
    ("办理公证", "Notarisation"),
    ("其他", "Other"),
];
const MARITAL: &[(&str, &str)] = &[("未婚", "Single"), ("已婚", "Married"), ("离婚", "Divorced"), ("丧偶", "Widowed")];
const EDUCATION: &[(&str, &str)] = &[
    ("初中", "Junior secondary"),
    ("高中", "Senior secondary"),
    ("大学专科", "Junior college"),
    ("大学本科", "Bachelor's"),
    ("研究生", "Postgraduate"),
];
const ZONE_CITIES: &[(&str, &str)] =
    &[("宁波", "Ningbo"), ("绍兴", "Shaoxing"), ("舟山", "Zhoushan"), ("台州", "Taizhou")];

const CHILD_NAME: Field = f("child_name", "新生儿姓名", "Newborn's name", "text");
const REASON: Field = f("reason", "变更理由", "Reason for the change", "long_text");

use Reach::{City, Home, Zone};

const ITEMS: &[Item] = &[
    // 户口登记
    Item {
        code: "birth-registration",
        name: ("出生登记", "Birth registration"),
        category: "户口登记",
        facts: &["identity", "household", "birth_certificate", "marriage_record"],
        fields: &[CHILD_NAME, optional(choice("child_gender", "新生儿性别", "Newborn's sex", GENDER))],
        days: 5,
        fee: 0,
        reach: Zone,
        who: GUARDIAN,
    },
    Item {
        code: "birth-registration-unmarried",
        name: ("非婚生育子女出生登记", "Birth registration, parents not married"),
        category: "户口登记",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[CHILD_NAME, choice("child_gender", "新生儿性别", "Newborn's sex", GENDER)],
        days: 5,
        fee: 0,
        reach: Zone,
        who: GUARDIAN,
    },
    Item {
        code: "adoption-registration",
        name: ("收养子女落户", "Registering an adopted child"),
        category: "户口登记",
        facts: &["identity", "household", "adoption_record"],
        fields: &[
            f("child_name", "被收养人姓名", "Adopted child's name", "text"),
            f("adopted_on", "收养登记日期", "Date of adoption", "date"),
        ],
        days: 5,
        fee: 0,
        reach: City,
        who: ("收养人（须为本市户籍）", "The adoptive parent (registered in the city)"),
    },
    Item {
        code: "foundling-registration",
        name: ("弃婴（儿童）落户", "Registering a foundling"),
        category: "户口登记",
        facts: &["identity", "household"],
        fields: &[
            f("child_name", "儿童姓名", "Child's name", "text"),
            f("found_at", "发现地点", "Where found", "address"),
        ],
        days: 20,
        fee: 0,
        reach: Home,
        who: ("儿童福利机构或收养人", "The children's welfare home or the adopter"),
    },
    Item {
        code: "born-abroad-registration",
        name: ("国外出生人员落户", "Registering a child born abroad"),
        category: "户口登记",
        facts: &["identity", "household", "exit_record"],
        fields: &[CHILD_NAME, f("born_in", "出生国家（地区）", "Country of birth", "text")],
        days: 20,
        fee: 0,
        reach: Home,
        who: GUARDIAN,
    },
    Item {
        code: "death-cancellation",
        name: ("死亡注销户口", "Deregistration after a death"),
        category: "户口登记",
        facts: &["identity", "household", "death_record"],
        fields: &[f("deceased_id", "死者公民身份号码", "ID number of the deceased", "id_number")],
        days: 1,
        fee: 0,
        reach: Zone,
        who: FAMILY,
    },
    Item {
        code: "declared-death-cancellation",
        name: ("宣告死亡注销户口", "Deregistration after a declaration of death"),
        category: "户口登记",
        facts: &["identity", "household", "court_judgement"],
        fields: &[
            f("deceased_id", "被宣告死亡人公民身份号码", "ID number of the person declared dead", "id_number"),
            f("judgement_no", "判决书编号", "Judgement number", "text"),
        ],
        days: 5,
        fee: 0,
        reach: Home,
        who: FAMILY,
    },
    Item {
        code: "emigration-cancellation",
        name: ("出国（境）定居注销户口", "Deregistration on settling abroad"),
        category: "户口登记",
        facts: &["identity", "household", "exit_record"],
        fields: &[f("settled_in", "定居国家（地区）", "Country of settlement", "text")],
        days: 5,
        fee: 0,
        reach: City,
        who: RESIDENT,
    },
    Item {
        code: "enlistment-cancellation",
        name: ("入伍注销户口", "Deregistration on enlisting"),
        category: "户口登记",
        facts: &["identity", "household", "military_record"],
        fields: &[f("enlisted_on", "入伍日期", "Date of enlistment", "date")],
        days: 1,
        fee: 0,
        reach: Zone,
        who: ("应征入伍的本人或其家属", "The recruit or their family"),
    },
    Item {
        code: "discharge-registration",
        name: ("退出现役恢复户口", "Re-registration after military service"),
        category: "户口登记",
        facts: &["identity", "household", "military_record"],
        fields: &[
            f("discharged_on", "退役日期", "Date of discharge", "date"),
            f("address", "落户地址", "Address to register at", "address"),
        ],
        days: 5,
        fee: 0,
        reach: Zone,
        who: ("退出现役的本人", "The discharged service member"),
    },
    Item {
        code: "release-registration",
        name: ("刑满释放人员恢复户口", "Re-registration after release from prison"),
        category: "户口登记",
        facts: &["identity", "household", "release_record"],
        fields: &[f("released_on", "释放日期", "Date of release", "date")],
        days: 5,
        fee: 0,
        reach: Home,
        who: ("刑满释放的本人", "The released person"),
    },
    Item {
        code: "household-book-reissue",
        name: ("户口簿补领", "Replacement household register booklet"),
        category: "户口登记",
        facts: &["identity", "household"],
        fields: &[],
        days: 3,
        fee: 0,
        reach: City,
        who: ("户主或户内成年成员", "The head or an adult member of the household"),
    },
    Item {
        code: "household-book-renewal",
        name: ("户口簿换领（破损）", "Household booklet renewal (damaged)"),
        category: "户口登记",
        facts: &["identity", "household"],
        fields: &[],
        days: 3,
        fee: 0,
        reach: Zone,
        who: ("户主或户内成年成员", "The head or an adult member of the household"),
    },
    Item {
        code: "household-split",
        name: ("分户", "Splitting a household"),
        category: "户口登记",
        facts: &["identity", "household", "property_record"],
        fields: &[f("members", "分出人数", "People moving to the new household", "number")],
        days: 5,
        fee: 0,
        reach: Home,
        who: ("户内成年成员（有独立住房）", "An adult member with a home of their own"),
    },
    Item {
        code: "head-change",
        name: ("户主变更", "Change of head of household"),
        category: "户口登记",
        facts: &["identity", "household"],
        fields: &[f("new_head_id", "新户主公民身份号码", "New head's ID number", "id_number")],
        days: 3,
        fee: 0,
        reach: Home,
        who: ("户内成年成员", "An adult member of the household"),
    },
    // 户口迁移
    Item {
        code: "move-in-spouse",
        name: ("夫妻投靠迁入", "Moving in to join a spouse"),
        category: "户口迁移",
        facts: &["identity", "household", "marriage_record"],
        fields: &[f("from_address", "原户籍地址", "Previous registered address", "address")],
        days: 10,
        fee: 0,
        reach: Zone,
        who: MOVER,
    },
    Item {
        code: "move-in-child",
        name: ("子女投靠父母迁入", "Moving in to join one's parents"),
        category: "户口迁移",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[f("from_address", "原户籍地址", "Previous registered address", "address")],
        days: 10,
        fee: 0,
        reach: Zone,
        who: MOVER,
    },
    Item {
        code: "move-in-parent",
        name: ("父母投靠子女迁入", "Moving in to join one's children"),
        category: "户口迁移",
        facts: &["identity", "household", "property_record"],
        fields: &[
            f("from_address", "原户籍地址", "Previous registered address", "address"),
            f("child_id", "投靠子女公民身份号码", "The child's ID number", "id_number"),
        ],
        days: 10,
        fee: 0,
        reach: Zone,
        who: MOVER,
    },
    Item {
        code: "move-in-property",
        name: ("购房迁入", "Moving in after buying a home"),
        category: "户口迁移",
        facts: &["identity", "household", "property_record"],
        fields: &[f("property_address", "房产地址", "Property address", "address")],
        days: 10,
        fee: 0,
        reach: City,
        who: MOVER,
    },
    Item {
        code: "move-in-talent",
        name: ("人才引进迁入", "Moving in as recruited talent"),
        category: "户口迁移",
        facts: &["identity", "social_insurance", "talent_record", "education_record"],
        fields: &[
            f("employer", "工作单位", "Employer", "text"),
            choice("education", "最高学历", "Highest education", EDUCATION),
        ],
        days: 10,
        fee: 0,
        reach: Zone,
        who: MOVER,
    },
    Item {
        code: "move-in-student",
        name: ("大中专学生迁入", "Moving in as a student"),
        category: "户口迁移",
        facts: &["identity", "school_enrolment"],
        fields: &[f("school", "学校", "School", "text")],
        days: 5,
        fee: 0,
        reach: Zone,
        who: ("被本市大中专院校录取的新生", "Students admitted to a college in the city"),
    },
    Item {
        code: "move-back-graduate",
        name: ("毕业生迁回原籍", "Graduates moving back home"),
        category: "户口迁移",
        facts: &["identity", "education_record"],
        fields: &[
            f("school", "毕业学校", "School graduated from", "text"),
            f("graduated_on", "毕业日期", "Graduation date", "date"),
        ],
        days: 5,
        fee: 0,
        reach: Zone,
        who: ("户口在院校集体户的应届毕业生", "Graduates registered in their college's collective household"),
    },
    Item {
        code: "move-in-employment",
        name: ("就业落户", "Moving in for employment"),
        category: "户口迁移",
        facts: &["identity", "social_insurance"],
        fields: &[
            f("employer", "工作单位", "Employer", "text"),
            f("address", "落户地址", "Address to register at", "address"),
        ],
        days: 10,
        fee: 0,
        reach: Zone,
        who: ("在本市就业并参加社会保险的人员", "People employed in the city and paying social insurance"),
    },
    Item {
        code: "move-in-rental",
        name: ("租房落户（社区公共户）", "Registering in the community's collective household as a tenant"),
        category: "户口迁移",
        facts: &["identity", "rental_record", "social_insurance"],
        fields: &[f("rental_address", "租住地址", "Rented address", "address")],
        days: 10,
        fee: 0,
        reach: City,
        who: ("在本市租房居住并符合落户条件的人员", "Tenants in the city who meet the conditions"),
    },
    Item {
        code: "move-in-collective",
        name: ("单位集体户迁入", "Moving into an employer's collective household"),
        category: "户口迁移",
        facts: &["identity", "social_insurance"],
        fields: &[f("employer", "集体户单位", "Employer holding the collective household", "text")],
        days: 10,
        fee: 0,
        reach: Home,
        who: ("单位集体户所属单位的职工", "Employees of the employer that holds it"),
    },
    Item {
        code: "move-in-retired",
        name: ("退休人员随迁", "Retirees moving in"),
        category: "户口迁移",
        facts: &["identity", "household", "social_insurance", "property_record"],
        fields: &[f("from_address", "原户籍地址", "Previous registered address", "address")],
        days: 10,
        fee: 0,
        reach: Zone,
        who: MOVER,
    },
    Item {
        code: "move-in-permit",
        name: ("准予迁入证明开具", "Permit to move in"),
        category: "户口迁移",
        facts: &["identity", "household"],
        fields: &[
            choice("from_city", "迁出城市", "Moving from", ZONE_CITIES),
            f("from_address", "原户籍地址", "Previous registered address", "address"),
        ],
        days: 5,
        fee: 0,
        reach: Zone,
        who: MOVER,
    },
    Item {
        code: "move-within-city",
        name: ("市内户口迁移", "Moving within the city"),
        category: "户口迁移",
        facts: &["identity", "household", "property_record"],
        fields: &[f("to_address", "迁入地址", "New registered address", "address")],
        days: 5,
        fee: 0,
        reach: City,
        who: RESIDENT,
    },
    Item {
        code: "move-out",
        name: ("户口迁出", "Moving out"),
        category: "户口迁移",
        facts: &["identity", "household"],
        fields: &[f("to_city", "迁往城市", "Destination city", "text")],
        days: 5,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    // 户口项目变更更正
    Item {
        code: "change-name",
        name: ("变更姓名", "Change of name"),
        category: "户口项目变更更正",
        facts: &["identity", "household"],
        fields: &[f("new_name", "新姓名", "New name", "text"), REASON],
        days: 20,
        fee: 0,
        reach: City,
        who: RESIDENT,
    },
    Item {
        code: "change-name-minor",
        name: ("未成年人变更姓名", "Change of a minor's name"),
        category: "户口项目变更更正",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[
            f("new_name", "新姓名", "New name", "text"),
            REASON,
            choice("applicant_relation", "申请人与本人关系", "Applicant's relationship", RELATION),
        ],
        days: 20,
        fee: 0,
        reach: City,
        who: ("未成年人的父母或其他监护人", "A parent or other guardian of the minor"),
    },
    Item {
        code: "correct-birth-date",
        name: ("更正出生日期", "Correction of date of birth"),
        category: "户口项目变更更正",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[f("correct_date", "正确出生日期", "Correct date of birth", "date")],
        days: 20,
        fee: 0,
        reach: Home,
        who: RESIDENT,
    },
    Item {
        code: "correct-id-number",
        name: ("更正公民身份号码", "Correction of ID number"),
        category: "户口项目变更更正",
        facts: &["identity", "household"],
        fields: &[
            f("correct_id_number", "正确公民身份号码", "Correct ID number", "id_number"),
            f("reason", "更正原因", "Reason for the correction", "long_text"),
        ],
        days: 20,
        fee: 0,
        reach: Home,
        who: RESIDENT,
    },
    Item {
        code: "change-address",
        name: ("变更户籍地址（门牌调整）", "Change of registered address (renumbering)"),
        category: "户口项目变更更正",
        facts: &["identity", "household", "property_record"],
        fields: &[f("new_address", "新地址", "New address", "address")],
        days: 5,
        fee: 0,
        reach: City,
        who: RESIDENT,
    },
    Item {
        code: "correct-gender",
        name: ("更正性别", "Correction of sex"),
        category: "户口项目变更更正",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[choice("correct_gender", "正确性别", "Correct sex", GENDER), REASON],
        days: 20,
        fee: 0,
        reach: Home,
        who: RESIDENT,
    },
    Item {
        code: "correct-ethnicity",
        name: ("更正民族", "Correction of ethnicity"),
        category: "户口项目变更更正",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[f("correct_ethnicity", "正确民族", "Correct ethnicity", "text"), REASON],
        days: 20,
        fee: 0,
        reach: Home,
        who: RESIDENT,
    },
    Item {
        code: "change-education",
        name: ("变更文化程度", "Change of education level"),
        category: "户口项目变更更正",
        facts: &["identity", "education_record"],
        fields: &[choice("education", "文化程度", "Education level", EDUCATION)],
        days: 1,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "change-marital-status",
        name: ("变更婚姻状况", "Change of marital status"),
        category: "户口项目变更更正",
        facts: &["identity", "marriage_record"],
        fields: &[choice("marital_status", "婚姻状况", "Marital status", MARITAL)],
        days: 1,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "change-employer",
        name: ("变更服务处所", "Change of employer"),
        category: "户口项目变更更正",
        facts: &["identity", "social_insurance"],
        fields: &[f("employer", "服务处所", "Employer", "text")],
        days: 1,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "change-military-status",
        name: ("变更兵役状况", "Change of military service status"),
        category: "户口项目变更更正",
        facts: &["identity", "military_record"],
        fields: &[choice(
            "military_status",
            "兵役状况",
            "Military service status",
            &[("未服兵役", "None"), ("退出现役", "Discharged"), ("预备役", "Reserve")],
        )],
        days: 1,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "change-relationship",
        name: ("变更与户主关系", "Change of relationship to the head"),
        category: "户口项目变更更正",
        facts: &["identity", "household"],
        fields: &[choice("relationship", "与户主关系", "Relationship to the head", RELATION)],
        days: 1,
        fee: 0,
        reach: City,
        who: RESIDENT,
    },
    Item {
        code: "change-native-place",
        name: ("变更籍贯", "Change of native place"),
        category: "户口项目变更更正",
        facts: &["identity", "household"],
        fields: &[f("native_place", "籍贯", "Native place", "text"), REASON],
        days: 10,
        fee: 0,
        reach: Home,
        who: RESIDENT,
    },
    Item {
        code: "change-height",
        name: ("变更身高", "Change of recorded height"),
        category: "户口项目变更更正",
        facts: &["identity"],
        fields: &[f("height_cm", "身高（厘米）", "Height (cm)", "number")],
        days: 1,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "add-former-name",
        name: ("登记曾用名", "Recording a former name"),
        category: "户口项目变更更正",
        facts: &["identity", "household"],
        fields: &[f("former_name", "曾用名", "Former name", "text")],
        days: 5,
        fee: 0,
        reach: Home,
        who: RESIDENT,
    },
    // 居民身份证
    Item {
        code: "id-first-issue",
        name: ("居民身份证首次申领", "First resident ID card"),
        category: "居民身份证",
        facts: &["identity", "household"],
        fields: &[],
        days: 20,
        fee: 20,
        reach: Zone,
        who: HOLDER,
    },
    Item {
        code: "id-renewal",
        name: ("居民身份证有效期满换领", "ID card renewal on expiry"),
        category: "居民身份证",
        facts: &["identity"],
        fields: &[],
        days: 20,
        fee: 20,
        reach: Zone,
        who: HOLDER,
    },
    Item {
        code: "id-loss",
        name: ("居民身份证丢失补领", "Replacement of a lost ID card"),
        category: "居民身份证",
        facts: &["identity"],
        fields: &[f("lost_at", "丢失时间地点", "When and where it was lost", "text")],
        days: 20,
        fee: 20,
        reach: Zone,
        who: HOLDER,
    },
    Item {
        code: "id-damage",
        name: ("居民身份证损坏换领", "Renewal of a damaged ID card"),
        category: "居民身份证",
        facts: &["identity"],
        fields: &[],
        days: 20,
        fee: 20,
        reach: Zone,
        who: HOLDER,
    },
    Item {
        code: "id-change",
        name: ("登记项目变更换领居民身份证", "New ID card after a change to the register"),
        category: "居民身份证",
        facts: &["identity", "household"],
        fields: &[choice(
            "changed",
            "变更项目",
            "What changed",
            &[("姓名", "Name"), ("出生日期", "Date of birth"), ("公民身份号码", "ID number"), ("住址", "Address")],
        )],
        days: 20,
        fee: 20,
        reach: Zone,
        who: HOLDER,
    },
    Item {
        code: "id-temporary",
        name: ("临时居民身份证申领", "Temporary resident ID card"),
        category: "居民身份证",
        facts: &["identity"],
        fields: &[],
        days: 1,
        fee: 10,
        reach: Zone,
        who: HOLDER,
    },
    Item {
        code: "id-minor-first",
        name: ("未满十六周岁居民身份证申领", "ID card for a child under sixteen"),
        category: "居民身份证",
        facts: &["identity", "household", "birth_certificate"],
        fields: &[choice("applicant_relation", "申请人与本人关系", "Applicant's relationship", RELATION)],
        days: 20,
        fee: 20,
        reach: Zone,
        who: ("未满十六周岁公民的监护人", "The guardian of a child under sixteen"),
    },
    Item {
        code: "id-fingerprint",
        name: ("居民身份证指纹信息登记", "Fingerprints on the ID card"),
        category: "居民身份证",
        facts: &["identity"],
        fields: &[],
        days: 20,
        fee: 20,
        reach: Zone,
        who: HOLDER,
    },
    // 流动人口
    Item {
        code: "residence-registration",
        name: ("居住登记", "Residence registration"),
        category: "流动人口",
        facts: &["identity", "rental_record"],
        fields: &[
            f("address", "居住地址", "Address of residence", "address"),
            f("phone", "联系电话", "Phone", "phone"),
        ],
        days: 1,
        fee: 0,
        reach: City,
        who: NON_LOCAL,
    },
    Item {
        code: "residence-permit",
        name: ("居住证申领", "Residence permit"),
        category: "流动人口",
        facts: &["identity", "property_record", "social_insurance"],
        fields: &[f("address", "居住地址", "Address of residence", "address")],
        days: 10,
        fee: 0,
        reach: City,
        who: NON_LOCAL,
    },
    Item {
        code: "residence-permit-endorse",
        name: ("居住证签注", "Residence permit annual endorsement"),
        category: "流动人口",
        facts: &["identity", "residence_record", "social_insurance"],
        fields: &[],
        days: 1,
        fee: 0,
        reach: City,
        who: ("持本市居住证的人员", "Holders of a Ningbo residence permit"),
    },
    Item {
        code: "residence-permit-change",
        name: ("居住证变更登记", "Change of details on a residence permit"),
        category: "流动人口",
        facts: &["identity", "residence_record"],
        fields: &[f("address", "新居住地址", "New address of residence", "address")],
        days: 5,
        fee: 0,
        reach: City,
        who: ("持本市居住证的人员", "Holders of a Ningbo residence permit"),
    },
    Item {
        code: "residence-permit-reissue",
        name: ("居住证补领、换领", "Residence permit replacement"),
        category: "流动人口",
        facts: &["identity", "residence_record"],
        fields: &[],
        days: 10,
        fee: 0,
        reach: City,
        who: ("持本市居住证的人员", "Holders of a Ningbo residence permit"),
    },
    // 户籍证明
    Item {
        code: "household-certificate",
        name: ("户籍证明", "Household registration certificate"),
        category: "户籍证明",
        facts: &["identity", "household"],
        fields: &[choice("purpose", "用途", "Purpose", PURPOSE)],
        days: 1,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "kinship-certificate",
        name: ("亲属关系证明", "Certificate of kinship"),
        category: "户籍证明",
        facts: &["identity", "household"],
        fields: &[
            f("relative_name", "亲属姓名", "Relative's name", "text"),
            choice("relation", "关系", "Relationship", RELATION),
            choice("purpose", "用途", "Purpose", PURPOSE),
        ],
        days: 3,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
    Item {
        code: "cancellation-certificate",
        name: ("注销户口证明", "Certificate of deregistration"),
        category: "户籍证明",
        facts: &["identity", "household"],
        fields: &[
            f("person_id", "被注销人公民身份号码", "ID number of the deregistered person", "id_number"),
            choice("purpose", "用途", "Purpose", PURPOSE),
        ],
        days: 3,
        fee: 0,
        reach: Zone,
        who: ("被注销人的近亲属", "A close relative of the deregistered person"),
    },
    Item {
        code: "same-person-certificate",
        name: ("同一人证明", "Certificate that two records are one person"),
        category: "户籍证明",
        facts: &["identity", "household"],
        fields: &[
            f("other_record", "另一记录上的姓名或号码", "Name or number on the other record", "text"),
            choice("purpose", "用途", "Purpose", PURPOSE),
        ],
        days: 5,
        fee: 0,
        reach: City,
        who: RESIDENT,
    },
    Item {
        code: "no-record-certificate",
        name: ("无户口登记记录证明", "Certificate of no registration"),
        category: "户籍证明",
        facts: &["identity"],
        fields: &[optional(f("note", "说明", "Notes", "long_text"))],
        days: 5,
        fee: 0,
        reach: Home,
        who: ("需证明未在本地登记户口的本人", "The person who needs it, in person"),
    },
    Item {
        code: "move-history-certificate",
        name: ("户口迁移历史证明", "Certificate of past moves"),
        category: "户籍证明",
        facts: &["identity", "household"],
        fields: &[choice("purpose", "用途", "Purpose", PURPOSE)],
        days: 3,
        fee: 0,
        reach: Zone,
        who: RESIDENT,
    },
];

fn basis(category: &str) -> &'static str {
    CATEGORIES.iter().find(|(zh, _, _)| *zh == category).map_or(CATEGORIES[0].2, |(_, _, b)| b)
}

pub fn facts() -> Vec<ServiceFact> {
    FACTS
        .iter()
        .map(|(code, name, _, source)| ServiceFact {
            code: (*code).into(),
            name: (*name).into(),
            source: (*source).into(),
        })
        .collect()
}

pub fn items() -> Vec<NewServiceItem> {
    ITEMS
        .iter()
        .map(|i| NewServiceItem {
            code: i.code.into(),
            name: i.name.0.into(),
            category: i.category.into(),
            legal_basis: basis(i.category).into(),
            eligibility: i.who.0.into(),
            facts: i.facts.iter().map(|f| (*f).into()).collect(),
            fields: i
                .fields
                .iter()
                .map(|f| ServiceField {
                    key: f.key.into(),
                    label: f.label.0.into(),
                    kind: f.kind.into(),
                    required: f.required,
                    options: f.options.iter().map(|(zh, _)| (*zh).into()).collect(),
                })
                .collect(),
            time_limit_days: i.days,
            fee_yuan: i.fee,
            citywide: i.reach != Home,
            crosscity: i.reach == Zone,
            active: true,
        })
        .collect()
}

/// Every shipped text with its English: facts, categories, bases, items, conditions, field
/// labels and options.
static ENGLISH: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for (_, zh, en, _) in FACTS {
        m.insert(*zh, *en);
    }
    for (zh, en, _) in CATEGORIES {
        m.insert(*zh, *en);
    }
    for (zh, en) in BASIS_EN {
        m.insert(*zh, *en);
    }
    for i in ITEMS {
        m.insert(i.name.0, i.name.1);
        m.insert(i.who.0, i.who.1);
        for f in i.fields {
            m.insert(f.label.0, f.label.1);
            for (zh, en) in f.options {
                m.insert(*zh, *en);
            }
        }
    }
    m
});

/// The English of a shipped text, or the text itself when it has none (an item a bureau
/// added shows its Chinese in both languages until it gives one).
pub fn english(zh: &str) -> &str {
    ENGLISH.get(zh).copied().unwrap_or(zh)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::services::fields::check_definitions;

    #[test]
    fn the_catalogue_has_49_city_wide_and_33_cross_city_items_as_the_report_says() {
        let items = items();
        assert_eq!(items.iter().filter(|i| i.citywide).count(), 49);
        assert_eq!(items.iter().filter(|i| i.crosscity).count(), 33);
        assert!(items.iter().all(|i| i.citywide || !i.crosscity), "a cross-city item is city-wide too");
    }

    #[test]
    fn every_shipped_item_is_a_valid_definition_with_its_english() {
        let facts = facts();
        let mut codes = std::collections::HashSet::new();
        for i in items() {
            assert!(codes.insert(i.code.clone()), "{} twice", i.code);
            assert!(check_definitions(&i.fields).is_ok(), "{}", i.code);
            assert!(i.facts.iter().all(|f| facts.iter().any(|x| &x.code == f)), "{}: unknown fact", i.code);
            for zh in [&i.name, &i.category, &i.eligibility, &i.legal_basis] {
                assert_ne!(english(zh), zh.as_str(), "{} has no English for {zh}", i.code);
            }
            for f in &i.fields {
                assert_ne!(english(&f.label), f.label.as_str(), "{}: {}", i.code, f.label);
                assert!(f.options.iter().all(|o| english(o) != o.as_str()), "{}: options", i.code);
            }
        }
    }
}
